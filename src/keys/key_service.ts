/**
 * Key lifecycle as callers see it: create, read, list, versions, rotate, roll back,
 * revoke and request destruction. Every call is authorized and audited through the
 * Guard; the lifecycle rules come from `domain/key_lifecycle.ts`, the writes from
 * `KeyTransitions`, and changes under dual control become approvals instead of writes.
 */

import { algorithmInfo } from "../core/algorithms.ts";
import type { Algorithm, Usage } from "../domain/algorithms.ts";
import type { ApprovableAction } from "../domain/approvals.ts";
import { HsmError } from "../domain/errors.ts";
import {
  type KeyTransition,
  requireRollbackTarget,
  requireTransition,
  versionState,
} from "../domain/key_lifecycle.ts";
import type { ApprovalRecord, KeyRecord, SealedVersion, VersionState } from "../domain/records.ts";
import type { Actor, Guard } from "../access/guard.ts";
import { refOf } from "../audit/record_journal.ts";
import type { RecordRef } from "../domain/audit_entry.ts";
import type { Action } from "../access/rbac.ts";
import type { Sealer } from "../core/sealing.ts";
import type { KeyListPage, KeyListQuery, KeyStore } from "../storage/ports.ts";
import type { KeyRecords } from "./key_records.ts";
import type { CommitPoint, KeyTransitions } from "./key_transitions.ts";
import type { ListCache } from "./list_cache.ts";

/** A new key request, already shape-validated by the transport. */
export interface CreateKeyRequest {
  readonly name: string;
  readonly algorithm: Algorithm;
  readonly usage?: readonly Usage[];
  readonly tags?: Readonly<Record<string, string>>;
  readonly dualControl?: boolean;
  /** A retention class name; absent: the default class. */
  readonly retentionClass?: string;
}

/** What a version listing shows. */
export interface VersionInfo {
  readonly version: number;
  readonly state: VersionState;
  readonly createdAt: string;
  readonly sourceVersion?: number;
  /** When retention wiped the version's material (state `purged`). */
  readonly purgedAt?: string;
  /** Operations this version performed (usage counters; absent without counters). */
  readonly operations?: number;
}

/** Reads the usage counters of a key's versions. */
export interface UsageReader {
  counts(keyId: string): Promise<Map<number, number>>;
}

/** Dual-control requests the key service raises (the approval service). */
export interface ApprovalRequester {
  /** True when `action` must wait for approvers. */
  requires(action: ApprovableAction): boolean;
  /**
   * Opens a pending request; `commit` journals its ref (and the caller's own writes) in
   * the caller's audit entry before the request is stored.
   * @throws HsmError("conflict") when a request for this action and key is pending
   */
  request(
    requester: Actor,
    action: ApprovableAction,
    keyId: string,
    params: Record<string, unknown>,
    commit: (records: readonly RecordRef[]) => Promise<void>,
  ): Promise<ApprovalRecord>;
}

/** The outcome of a change that may be held for approval (HTTP 200 or 202). */
export type KeyChange =
  | { readonly key: KeyRecord; readonly approval?: undefined }
  | { readonly key?: undefined; readonly approval: ApprovalRecord };

/** Dependencies of the key service. */
export interface KeyServiceDeps {
  readonly store: KeyStore;
  readonly sealer: Sealer;
  readonly records: KeyRecords;
  readonly transitions: KeyTransitions;
  readonly approvals: ApprovalRequester;
  readonly guard: Guard;
  readonly listCache: ListCache;
  /** Usage counters shown in the version listing. */
  readonly usage?: UsageReader;
  readonly newId?: () => string;
  /** The retention classes a new key may name (any name when absent). */
  readonly retentionClasses?: { has(name: string): boolean };
}

/** A change that dual control may defer: its audit name, RBAC action and rules. */
interface DeferrableChange {
  readonly action: ApprovableAction;
  readonly rbac: Action;
  readonly transition: KeyTransition;
  readonly params: Record<string, unknown>;
}

/** The key lifecycle service. */
export class KeyService {
  #store: KeyStore;
  #sealer: Sealer;
  #records: KeyRecords;
  #transitions: KeyTransitions;
  #approvals: ApprovalRequester;
  #guard: Guard;
  #listCache: ListCache;
  #usage: UsageReader | undefined;
  #newId: () => string;
  #retentionClasses: { has(name: string): boolean } | undefined;

  constructor(deps: KeyServiceDeps) {
    this.#usage = deps.usage;
    this.#store = deps.store;
    this.#sealer = deps.sealer;
    this.#records = deps.records;
    this.#transitions = deps.transitions;
    this.#approvals = deps.approvals;
    this.#guard = deps.guard;
    this.#listCache = deps.listCache;
    this.#newId = deps.newId ?? (() => crypto.randomUUID());
    this.#retentionClasses = deps.retentionClasses;
  }

  /** Creates a key: `active`, or `staged` with an activation approval under dual control. */
  create(
    actor: Actor,
    req: CreateKeyRequest,
  ): Promise<{ key: KeyRecord; approval?: ApprovalRecord }> {
    const payload = {
      name: req.name,
      algorithm: req.algorithm,
      usage: req.usage,
      tags: req.tags,
      dual_control: req.dualControl ?? false,
      retention_class: req.retentionClass,
    };
    return this.#guard.run({ actor, action: "key.create", payload }, async (op) => {
      op.authorize("key:create");
      const info = algorithmInfo(req.algorithm);
      if (info === undefined) {
        throw new HsmError("invalid_request", `Unknown algorithm ${JSON.stringify(req.algorithm)}`);
      }
      const usage = req.usage === undefined || req.usage.length === 0
        ? [...info.defaultUsages]
        : [...new Set(req.usage)];
      const bad = usage.find((u) => !info.usages.includes(u));
      if (bad !== undefined) {
        throw new HsmError(
          "invalid_request",
          `Cannot create a ${info.name} key with usage ${bad}: allowed are ${
            info.usages.join(", ")
          }`,
        );
      }
      const retentionClass = req.retentionClass;
      if (retentionClass !== undefined && this.#retentionClasses?.has(retentionClass) === false) {
        throw new HsmError(
          "invalid_request",
          `Cannot create a key in retention class ${retentionClass}: no such class`,
        );
      }
      const id = this.#newId();
      op.setKeyId(id);
      const now = this.#transitions.now();
      const record = await this.#transitions.newRecord({
        id,
        name: req.name,
        algorithm: info.name,
        usage,
        tags: { ...(req.tags ?? {}) },
        state: req.dualControl ? "staged" : "active",
        currentVersion: 1,
        dualControl: req.dualControl ?? false,
        createdAt: now,
        updatedAt: now,
        ...(retentionClass === undefined ? {} : { retentionClass }),
      });
      await op.admit(record);
      const sealed = await this.#transitions.generateSealed({
        keyId: id,
        version: 1,
        algorithm: info.name,
        usage,
        createdAt: now,
      });
      const keyRef = refOf("key", record);
      if (!req.dualControl) {
        await op.commitPoint([keyRef]);
        await this.#transitions.create(record, sealed);
        return { key: record };
      }
      // One entry journals both the staged key and its activation request.
      const approval = await this.#approvals.request(
        actor,
        "key.activate",
        id,
        {},
        async (refs) => {
          await op.commitPoint([keyRef, ...refs]);
          await this.#transitions.create(record, sealed);
        },
      );
      return { key: record, approval };
    });
  }

  /** Reads one key's metadata. */
  get(actor: Actor, id: string): Promise<KeyRecord> {
    return this.#guard.run({ actor, action: "key.read", keyId: id }, async (op) => {
      op.authorize("key:read");
      const record = await this.#records.get(id);
      await op.admit(record);
      return record;
    });
  }

  /** Lists keys with filters and paging (cached per actor until the next write). */
  list(actor: Actor, query: KeyListQuery): Promise<KeyListPage> {
    return this.#guard.run({ actor, action: "key.list", payload: query }, async (op) => {
      op.authorize("key:read");
      return await this.#listCache.getOrLoad(actor.id, query, async (hinted) => {
        const page = await this.#store.list(hinted);
        for (const item of page.items) await this.#records.verify(item);
        return page;
      });
    });
  }

  /** Lists a key's versions with their derived states. */
  versions(actor: Actor, id: string): Promise<VersionInfo[]> {
    return this.#guard.run({ actor, action: "key.versions", keyId: id }, async (op) => {
      op.authorize("key:read");
      const record = await this.#records.get(id);
      await op.admit(record);
      const versions = await this.#store.listVersions(id);
      const counts = await this.#usage?.counts(id);
      return versions.map((v) => versionInfo(record, v, counts));
    });
  }

  /** Adds a new current version with fresh material (or opens an approval for it). */
  rotate(actor: Actor, id: string): Promise<KeyChange> {
    const change: DeferrableChange = {
      action: "key.rotate",
      rbac: "key:rotate",
      transition: "rotate",
      params: {},
    };
    return this.#changeOrRequest(actor, id, change, (record, commit) => {
      return this.#transitions.rotate(record, commit);
    });
  }

  /** Records a new version holding an earlier version's material (or opens an approval). */
  rollback(actor: Actor, id: string, target: number): Promise<KeyChange> {
    const change: DeferrableChange = {
      action: "key.rollback",
      rbac: "key:rollback",
      transition: "rollback",
      params: { version: target },
    };
    return this.#changeOrRequest(actor, id, change, (record, commit) => {
      return this.#transitions.rollback(record, target, commit);
    }, (record) => requireRollbackTarget(record, target));
  }

  /** Revokes a key: verify/decrypt keep working, sign/encrypt refuse. */
  revoke(actor: Actor, id: string): Promise<KeyRecord> {
    return this.#guard.run({ actor, action: "key.revoke", keyId: id }, async (op) => {
      op.authorize("key:revoke");
      return await this.#transitions.withKey(id, async (record) => {
        await op.admit(record);
        requireTransition(record, "revoke");
        return await this.#transitions.setState(record, "revoked", (refs) => op.commitPoint(refs));
      });
    });
  }

  /** Opens a destruction request; destruction always needs a second approver. */
  requestDestroy(actor: Actor, id: string): Promise<ApprovalRecord> {
    return this.#guard.run({ actor, action: "key.destroy.request", keyId: id }, async (op) => {
      op.authorize("key:destroy");
      const record = await this.#records.get(id);
      await op.admit(record);
      requireTransition(record, "destroy");
      return await this.#approvals.request(
        actor,
        "key.destroy",
        id,
        {},
        (refs) => op.commitPoint(refs),
      );
    });
  }

  /**
   * Reads and integrity-checks a key record (no authorization; for services).
   * @throws HsmError("not_found" | "integrity_error")
   */
  record(id: string): Promise<KeyRecord> {
    return this.#records.get(id);
  }

  /**
   * Runs a guarded change: checks the rules on the current record, then either commits
   * it or, under dual control, opens an approval that executes it later.
   */
  #changeOrRequest(
    actor: Actor,
    id: string,
    change: DeferrableChange,
    commit: (record: KeyRecord, commitPoint: CommitPoint) => Promise<KeyRecord>,
    check?: (record: KeyRecord) => void,
  ): Promise<KeyChange> {
    const request = { actor, action: change.action, keyId: id, payload: change.params };
    return this.#guard.run(request, async (op) => {
      op.authorize(change.rbac);
      return await this.#transitions.withKey(id, async (record) => {
        await op.admit(record);
        requireTransition(record, change.transition);
        check?.(record);
        const commitPoint = (refs: readonly RecordRef[]) => op.commitPoint(refs);
        if (this.#approvals.requires(change.action)) {
          const approval = await this.#approvals.request(
            actor,
            change.action,
            id,
            change.params,
            commitPoint,
          );
          return { approval };
        }
        return { key: await commit(record, commitPoint) };
      });
    });
  }
}

function versionInfo(
  record: KeyRecord,
  v: SealedVersion,
  counts: Map<number, number> | undefined,
): VersionInfo {
  return {
    version: v.version,
    state: versionState(record, v),
    createdAt: v.createdAt,
    ...(v.sourceVersion === undefined ? {} : { sourceVersion: v.sourceVersion }),
    ...(v.purgedAt === undefined ? {} : { purgedAt: v.purgedAt }),
    ...(counts === undefined ? {} : { operations: counts.get(v.version) ?? 0 }),
  };
}
