/**
 * Sealing: how key material and key metadata are protected at rest.
 *
 * A sealed version is `version ‖ algorithm ‖ usage ‖ ciphertext ‖ nonce ‖ mac`: the
 * material is encrypted with AES-256-GCM under the sealing key (fresh 96-bit nonce;
 * AAD binds key id, version, algorithm and usage, so a blob moved to another key or
 * version fails to open) and every field is authenticated with HMAC-SHA-384 under an
 * independent key. The MAC is checked first, in constant time; any mismatch or
 * decryption failure is `integrity_error` and the material is never used.
 *
 * Key metadata records are MAC'd too, so an edited state (say `revoked` → `active`) in a
 * database row or `current.json` is detected on read; so are dual-control approvals
 * (requester, action, key, quorum, approvers, state, expiry, parameters), so an edited
 * approval row can never execute; and so are stored policy versions (every field, the
 * script included). Record, approval and policy MACs use the record MAC key with
 * distinct domain labels.
 */

import type { Algorithm, Usage } from "../domain/algorithms.ts";
import { HsmError } from "../domain/errors.ts";
import { toBase64, utf8 } from "./encoding.ts";
import type { RootKeys } from "./master_key.ts";
import type { ApprovalRecord, KeyRecord, SealedVersion } from "../domain/records.ts";
import type { PolicyVersionRecord } from "../domain/policies.ts";
import { canonicalJson } from "./canonical_json.ts";

/** What a sealed version binds besides the material. */
export interface SealMetadata {
  readonly keyId: string;
  readonly version: number;
  readonly algorithm: Algorithm;
  readonly usage: readonly Usage[];
  readonly createdAt: string;
  readonly sourceVersion?: number;
}

const NONCE_BYTES = 12;

/** Length-prefixed concatenation: unambiguous for any field contents. */
function frame(parts: readonly (string | Uint8Array)[]): Uint8Array {
  const bytes = parts.map((p) => (typeof p === "string" ? utf8(p) : p));
  const out = new Uint8Array(bytes.reduce((n, b) => n + 4 + b.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const b of bytes) {
    view.setUint32(at, b.length);
    out.set(b, at + 4);
    at += 4 + b.length;
  }
  return out;
}

function aad(meta: SealMetadata): Uint8Array {
  return frame([
    "ferrohsm-seal-v1",
    meta.keyId,
    String(meta.version),
    meta.algorithm,
    meta.usage.join(","),
  ]);
}

function macInput(meta: SealMetadata, nonce: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return frame([
    "ferrohsm-seal-mac-v1",
    meta.keyId,
    String(meta.version),
    meta.algorithm,
    meta.usage.join(","),
    meta.createdAt,
    meta.sourceVersion === undefined ? "" : String(meta.sourceVersion),
    nonce,
    ciphertext,
  ]);
}

/**
 * The fields of a key record the MAC covers (all but `mac`), in a fixed order. The
 * fields added later (`origin`, `rotationPeriod`, `minDecryptionVersion`, `retentionClass`)
 * are appended, each as one tagged part, only when they differ from their default
 * (`generated`, none, none, the default class), so every record written before them keeps
 * its MAC. A retention class is appended as `retention:<name>`.
 */
function recordInput(r: Omit<KeyRecord, "mac">): Uint8Array {
  const tags = Object.keys(r.tags).sort().map((k) => [k, r.tags[k] as string]);
  const extensions: string[] = [];
  if (r.origin !== undefined && r.origin !== "generated") extensions.push(`origin=${r.origin}`);
  if (r.rotationPeriod !== undefined) extensions.push(`rotation_period=${r.rotationPeriod}`);
  if (r.minDecryptionVersion !== undefined && r.minDecryptionVersion !== 1) {
    extensions.push(`min_decryption_version=${r.minDecryptionVersion}`);
  }
  if (r.retentionClass !== undefined) extensions.push(`retention:${r.retentionClass}`);
  return frame([
    "ferrohsm-record-v1",
    r.id,
    r.name,
    r.algorithm,
    r.usage.join(","),
    JSON.stringify(tags),
    r.state,
    String(r.currentVersion),
    r.dualControl ? "1" : "0",
    r.createdAt,
    r.updatedAt,
    String(r.revision),
    ...extensions,
  ]);
}

/** The fields of a policy version the MAC covers (all but `mac`), in a fixed order. */
function policyInput(p: Omit<PolicyVersionRecord, "mac">): Uint8Array {
  return frame([
    "ferrohsm-policy-v1",
    p.id,
    String(p.version),
    p.name,
    p.script,
    p.digest,
    canonicalJson(p.scope),
    p.deleted ? "1" : "0",
    p.createdAt,
    p.updatedAt,
    p.author,
    p.approvalId === null ? "\u0000" : `a:${p.approvalId}`,
  ]);
}

/** The fields of an approval the MAC covers (all but `mac`), in a fixed order. */
function approvalInput(a: Omit<ApprovalRecord, "mac">): Uint8Array {
  return frame([
    "ferrohsm-approval-v1",
    a.id,
    a.action,
    a.keyId === null ? "\u0000" : `k:${a.keyId}`,
    a.requestedBy,
    JSON.stringify(a.approvals.map((x) => [x.actor, x.at])),
    String(a.quorum),
    a.state,
    a.createdAt,
    a.expiresAt,
    canonicalJson(a.params),
    String(a.revision),
  ]);
}

function tamperError(): HsmError {
  return new HsmError("integrity_error", "Sealed key data failed its integrity check");
}

/** Seals and unseals key material and MACs key records with the installation's root keys. */
export class Sealer {
  #keys: RootKeys;

  constructor(keys: RootKeys) {
    this.#keys = keys;
  }

  /** Encrypts and authenticates `material` (the caller wipes it afterwards). */
  async seal(meta: SealMetadata, material: Uint8Array): Promise<SealedVersion> {
    const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
    const ciphertext = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv: nonce, additionalData: aad(meta) as BufferSource },
        this.#keys.sealKey,
        material as BufferSource,
      ),
    );
    const mac = this.#keys.sealMacKey.mac(macInput(meta, nonce, ciphertext));
    return {
      keyId: meta.keyId,
      version: meta.version,
      algorithm: meta.algorithm,
      usage: [...meta.usage],
      createdAt: meta.createdAt,
      ...(meta.sourceVersion === undefined ? {} : { sourceVersion: meta.sourceVersion }),
      nonce,
      ciphertext,
      mac,
    };
  }

  /**
   * Checks and decrypts a sealed version; the caller owns (and must wipe) the result.
   * @throws HsmError("integrity_error") when anything was changed or the blob belongs elsewhere
   */
  async unseal(
    sealed: SealedVersion,
    expected: { keyId: string; version: number },
  ): Promise<Uint8Array> {
    if (sealed.keyId !== expected.keyId || sealed.version !== expected.version) {
      throw tamperError();
    }
    const ok = this.#keys.sealMacKey.verify(
      sealed.mac,
      macInput(sealed, sealed.nonce, sealed.ciphertext),
    );
    if (!ok || sealed.nonce.length !== NONCE_BYTES) throw tamperError();
    try {
      return new Uint8Array(
        await crypto.subtle.decrypt(
          {
            name: "AES-GCM",
            iv: sealed.nonce as BufferSource,
            additionalData: aad(sealed) as BufferSource,
          },
          this.#keys.sealKey,
          sealed.ciphertext as BufferSource,
        ),
      );
    } catch {
      throw tamperError();
    }
  }

  /** Returns `record` with its `mac` computed. */
  macRecord(record: Omit<KeyRecord, "mac">): KeyRecord {
    return { ...record, mac: toBase64(this.#keys.recordMacKey.mac(recordInput(record))) };
  }

  /** Returns `approval` with its `mac` computed. */
  macApproval(approval: Omit<ApprovalRecord, "mac">): ApprovalRecord {
    return { ...approval, mac: toBase64(this.#keys.recordMacKey.mac(approvalInput(approval))) };
  }

  /**
   * Verifies an approval read from storage.
   * @throws HsmError("integrity_error") when the approval was edited at rest
   */
  verifyApproval(approval: ApprovalRecord): Promise<ApprovalRecord> {
    return settled(() => {
      if (!sameText(this.macApproval(approval).mac, approval.mac)) {
        throw new HsmError("integrity_error", `Approval ${approval.id} failed its integrity check`);
      }
      return approval;
    });
  }

  /** Returns the policy version with its `mac` computed. */
  macPolicy(policy: Omit<PolicyVersionRecord, "mac">): PolicyVersionRecord {
    return { ...policy, mac: toBase64(this.#keys.recordMacKey.mac(policyInput(policy))) };
  }

  /**
   * Verifies a policy version read from storage.
   * @throws HsmError("integrity_error") when it was edited at rest
   */
  verifyPolicy(policy: PolicyVersionRecord): Promise<PolicyVersionRecord> {
    return settled(() => {
      if (!sameText(this.macPolicy(policy).mac, policy.mac)) {
        throw new HsmError(
          "integrity_error",
          `Policy ${policy.id} version ${policy.version} failed its integrity check`,
        );
      }
      return policy;
    });
  }

  /**
   * Verifies a record read from storage.
   * @throws HsmError("integrity_error") when the record was edited at rest
   */
  verifyRecord(record: KeyRecord): Promise<KeyRecord> {
    return settled(() => {
      if (!sameText(this.macRecord(record).mac, record.mac)) {
        throw new HsmError("integrity_error", "Key metadata failed its integrity check");
      }
      return record;
    });
  }
}

/** A synchronous check as a promise: its throw becomes a rejection. */
function settled<T>(check: () => T): Promise<T> {
  try {
    return Promise.resolve(check());
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Constant-time comparison of two MAC texts. */
function sameText(x: string, y: string): boolean {
  const a = utf8(x), b = utf8(y);
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    diff |= (a[i] as number) ^ (b[i] as number);
  }
  return diff === 0;
}
