/**
 * Key import (BYOK). `importParams` issues an import token naming a fresh RSA-3072
 * wrapping key (`import_tokens.ts`); `importKey` consumes the token, unwraps the
 * material (`RSA-OAEP-SHA256-AES-KWP`), validates it for the algorithm
 * (`core/providers/material_check.ts`: invalid material is `invalid_request` and never
 * stored), seals it and stores a new key with `origin: "imported"`, or a new current
 * version of an existing imported key. Both need `key:import` and are audited
 * (`key.import_params`, `key.import`) with the token's id, never the token or material.
 *
 * Rules for a new version (`key_id`): the key must be active, imported and of the same
 * algorithm, and rotation must not be under dual control (an imported version would
 * otherwise change the current version without the approvers; import a new key instead).
 * Imported keys are created active; dual control does not apply to their creation.
 */

import type { Actor, Guard } from "../access/guard.ts";
import { algorithmInfo } from "../core/algorithms.ts";
import { IMPORT_WRAPPING_ALGORITHM } from "../core/import_wrapping.ts";
import { checkImportMaterial } from "../core/providers/material_check.ts";
import type { Sealer } from "../core/sealing.ts";
import { wipe } from "../core/zeroize.ts";
import { refOf } from "../audit/record_journal.ts";
import type { Algorithm, Usage } from "../domain/algorithms.ts";
import { HsmError } from "../domain/errors.ts";
import { nextVersion, requireTransition } from "../domain/key_lifecycle.ts";
import type { KeyRecord } from "../domain/records.ts";
import { type ImportTokens, tokenIdOf } from "./import_tokens.ts";
import type { KeyRecords } from "./key_records.ts";
import type { ApprovalRequester } from "./key_service.ts";
import type { CommitPoint, KeyTransitions } from "./key_transitions.ts";

/** What `importParams` answers. */
export interface ImportParams {
  readonly importToken: string;
  readonly wrappingPublicKey: Uint8Array;
  readonly wrappingAlgorithm: typeof IMPORT_WRAPPING_ALGORITHM;
  readonly expiresAt: string;
}

/** An import request, already shape-validated by the transport. */
export interface ImportKeyRequest {
  readonly algorithm: Algorithm;
  readonly importToken: string;
  readonly wrappedKey: Uint8Array;
  /** Required for a new key; ignored when adding a version. */
  readonly name?: string | undefined;
  readonly usage?: readonly Usage[] | undefined;
  readonly tags?: Readonly<Record<string, string>> | undefined;
  /** Adds a new version to this imported key instead of creating one. */
  readonly keyId?: string | undefined;
}

/** Dependencies of the import service. */
export interface KeyImportServiceDeps {
  readonly guard: Guard;
  readonly sealer: Sealer;
  readonly transitions: KeyTransitions;
  readonly tokens: ImportTokens;
  /** Whether rotation is under dual control (the approval service). */
  readonly approvals: Pick<ApprovalRequester, "requires">;
  /** Verified key records (the target key of a new version, for the policy gate). */
  readonly records: Pick<KeyRecords, "get">;
  readonly newId?: () => string;
}

/** BYOK import under policy and audit. */
export class KeyImportService {
  readonly #deps: KeyImportServiceDeps;
  readonly #newId: () => string;

  constructor(deps: KeyImportServiceDeps) {
    this.#deps = deps;
    this.#newId = deps.newId ?? (() => crypto.randomUUID());
  }

  /** Issues an import token and its wrapping public key for an import of `algorithm`. */
  importParams(actor: Actor, algorithm: Algorithm): Promise<ImportParams> {
    const { guard, tokens } = this.#deps;
    const request = { actor, action: "key.import_params", payload: { algorithm } };
    return guard.run(request, async (op) => {
      op.authorize("key:import");
      knownAlgorithm(algorithm);
      const issued = await tokens.issue(algorithm);
      op.setPayload({ algorithm, token_id: issued.tokenId, expires_at: issued.expiresAt });
      return {
        importToken: issued.token,
        wrappingPublicKey: issued.spki,
        wrappingAlgorithm: IMPORT_WRAPPING_ALGORITHM,
        expiresAt: issued.expiresAt,
      };
    });
  }

  /**
   * Imports wrapped key material as a new key, or as a new version of `keyId`.
   * @throws HsmError("invalid_request") for an unknown, used or expired token, a token
   * of another algorithm, material that does not unwrap or validate; ("invalid_state")
   * when the target key may not take an imported version
   */
  importKey(actor: Actor, req: ImportKeyRequest): Promise<KeyRecord> {
    const { guard, tokens } = this.#deps;
    const tokenId = tokenIdOf(req.importToken);
    const payload = {
      algorithm: req.algorithm,
      token_id: tokenId,
      wrapped_bytes: req.wrappedKey.length,
      key_id: req.keyId,
      name: req.name,
      usage: req.usage,
      tags: req.tags,
    };
    const request = { actor, action: "key.import", keyId: req.keyId ?? null, payload };
    return guard.run(request, async (op) => {
      op.authorize("key:import");
      const info = knownAlgorithm(req.algorithm);
      // What can be checked without the material is checked before the token is spent,
      // the policy gate included (a new key is seen as created active at version 1).
      const fresh = req.keyId === undefined ? newKeyFields(info.name, req) : undefined;
      const id = fresh === undefined ? undefined : this.#newId();
      await op.admit(
        id === undefined || fresh === undefined
          ? await this.#deps.records.get(req.keyId as string)
          : { id, algorithm: info.name, tags: fresh.tags, state: "active", currentVersion: 1 },
      );
      const consumed = tokens.take(req.importToken);
      if (consumed === undefined) {
        throw new HsmError("invalid_request", "Invalid import token: unknown, used or expired");
      }
      if (consumed.algorithm !== info.name) {
        throw new HsmError(
          "invalid_request",
          `Invalid import token: it was issued for ${consumed.algorithm}, not ${info.name}`,
        );
      }
      const raw = await tokens.unwrap(consumed, req.wrappedKey);
      let material: Uint8Array | undefined;
      try {
        material = await checkImportMaterial(info.name, raw);
      } finally {
        wipe(raw);
      }
      try {
        const commit: CommitPoint = (refs) => op.commitPoint(refs);
        if (id === undefined || fresh === undefined) {
          return await this.#addVersion(req.keyId as string, info.name, material, commit);
        }
        op.setKeyId(id);
        return await this.#create(id, info.name, fresh, material, commit);
      } finally {
        wipe(material);
      }
    });
  }

  async #create(
    id: string,
    algorithm: Algorithm,
    fresh: NewKeyFields,
    material: Uint8Array,
    commit: CommitPoint,
  ): Promise<KeyRecord> {
    const { transitions, sealer } = this.#deps;
    const { name, usage, tags } = fresh;
    const now = transitions.now();
    const sealed = await sealer.seal(
      { keyId: id, version: 1, algorithm, usage, createdAt: now },
      material,
    );
    const record = await transitions.newRecord({
      id,
      name,
      algorithm,
      usage,
      tags,
      state: "active",
      currentVersion: 1,
      dualControl: false,
      createdAt: now,
      updatedAt: now,
      origin: "imported",
    });
    await commit([refOf("key", record)]);
    await transitions.create(record, sealed);
    return record;
  }

  #addVersion(
    keyId: string,
    algorithm: Algorithm,
    material: Uint8Array,
    commit: CommitPoint,
  ): Promise<KeyRecord> {
    const { transitions, sealer, approvals } = this.#deps;
    return transitions.withKey(keyId, async (record) => {
      requireTransition(record, "rotate");
      if (record.origin !== "imported") {
        throw new HsmError(
          "invalid_state",
          `Cannot import a version into key ${keyId}: its material was generated here`,
        );
      }
      if (record.algorithm !== algorithm) {
        throw new HsmError(
          "invalid_request",
          `Cannot import ${algorithm} material into key ${keyId}: it is ${record.algorithm}`,
        );
      }
      if (approvals.requires("key.rotate")) {
        throw new HsmError(
          "invalid_state",
          `Cannot import a version into key ${keyId}: rotation requires approval`,
        );
      }
      const sealed = await sealer.seal({
        keyId,
        version: nextVersion(record),
        algorithm,
        usage: record.usage,
        createdAt: transitions.now(),
      }, material);
      return await transitions.addVersion(record, sealed, commit);
    });
  }
}

function knownAlgorithm(algorithm: string) {
  const info = algorithmInfo(algorithm);
  if (info === undefined) {
    throw new HsmError("invalid_request", `Unknown algorithm ${JSON.stringify(algorithm)}`);
  }
  return info;
}

/** What a new imported key is created with. */
interface NewKeyFields {
  readonly name: string;
  readonly usage: Usage[];
  readonly tags: Record<string, string>;
}

/**
 * A new key's name, tags and usages (the request's, deduplicated, or the algorithm's
 * defaults).
 * @throws HsmError("invalid_request") without a name or for a usage the algorithm lacks
 */
function newKeyFields(algorithm: Algorithm, req: ImportKeyRequest): NewKeyFields {
  if (req.name === undefined) {
    throw new HsmError("invalid_request", "Invalid name: required to import a new key");
  }
  const info = knownAlgorithm(algorithm);
  const requested = req.usage;
  const usage = requested === undefined || requested.length === 0
    ? [...info.defaultUsages]
    : [...new Set(requested)];
  const bad = usage.find((u) => !info.usages.includes(u));
  if (bad !== undefined) {
    throw new HsmError(
      "invalid_request",
      `Cannot import a ${info.name} key with usage ${bad}: allowed are ${info.usages.join(", ")}`,
    );
  }
  return { name: req.name, usage, tags: { ...(req.tags ?? {}) } };
}
