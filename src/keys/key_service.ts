/**
 * Key lifecycle: create, read, list, rotate, roll back, revoke, request destruction,
 * and the approval-driven transitions (activate a staged key, execute destruction).
 * Every call is authorized and audited through the Guard; key material is generated
 * and sealed inside the core and only sealed bytes reach the store.
 *
 * Invariants kept here (not in handlers): versions are immutable and numbered 1..N;
 * the current version is the newest; rollback adds a new generation holding an older
 * version's material; only `active` keys rotate or roll back; `destroyed` is final.
 */

import { algorithmInfo } from "../core/algorithms.ts";
import { type Algorithm, type Usage } from "../domain/algorithms.ts";
import { HsmError } from "../domain/errors.ts";
import { providerFor } from "../core/providers/index.ts";
import type { Sealer } from "../core/sealing.ts";
import { wipe } from "../core/zeroize.ts";
import type { KeyListPage, KeyListQuery, KeyStore } from "../storage/ports.ts";
import type { ApprovalRecord, KeyRecord, KeyState, SealedVersion } from "../domain/records.ts";
import type { ApprovableAction } from "../domain/approvals.ts";
import type { Actor, Guard, GuardedOp } from "../access/guard.ts";
import type { KeyLoader } from "./key_loader.ts";
import { KeyLocks } from "../util/keyed_locks.ts";
import { LruCache } from "../util/lru_cache.ts";
import type { ListCache } from "./list_cache.ts";

/** A new key request, already shape-validated by the transport. */
export interface CreateKeyRequest {
  readonly name: string;
  readonly algorithm: Algorithm;
  readonly usage?: readonly Usage[];
  readonly tags?: Readonly<Record<string, string>>;
  readonly dualControl?: boolean;
}

/** What a version listing shows. */
export interface VersionInfo {
  readonly version: number;
  readonly state: "active" | "revoked" | "destroyed";
  readonly createdAt: string;
  readonly sourceVersion?: number;
}

/** Dual-control requests the key service raises. */
export interface ApprovalRequester {
  /** True when `action` must wait for approvers. */
  requires(action: ApprovableAction): boolean;
  request(
    requester: Actor,
    action: ApprovableAction,
    keyId: string,
    params?: Record<string, unknown>,
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
  readonly loader: KeyLoader;
  readonly guard: Guard;
  readonly listCache: ListCache;
  readonly clock?: () => Date;
  readonly newId?: () => string;
}

/** The key lifecycle service. */
export class KeyService {
  #store: KeyStore;
  #sealer: Sealer;
  #loader: KeyLoader;
  #guard: Guard;
  #listCache: ListCache;
  #clock: () => Date;
  #newId: () => string;
  #locks = new KeyLocks();
  /**
   * Records verified since they were read or written by this process. The server owns
   * its data dir, so only its own writes change records; an edit made on disk behind its
   * back is detected when the record is next read from the store (after eviction or a
   * restart).
   */
  #records = new LruCache<string, KeyRecord>({ maxEntries: 10_000 });
  #approvals: ApprovalRequester | undefined;

  constructor(deps: KeyServiceDeps) {
    this.#store = deps.store;
    this.#sealer = deps.sealer;
    this.#loader = deps.loader;
    this.#guard = deps.guard;
    this.#listCache = deps.listCache;
    this.#clock = deps.clock ?? (() => new Date());
    this.#newId = deps.newId ?? (() => crypto.randomUUID());
  }

  /** Connects the approval service (set once at composition; breaks the import cycle). */
  useApprovals(approvals: ApprovalRequester): void {
    this.#approvals = approvals;
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
    };
    return this.#guard.run(actor, "key.create", null, payload, async (op) => {
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
      const id = this.#newId();
      op.setKeyId(id);
      const now = this.#clock().toISOString();
      const sealed = await this.#generateSealed(id, 1, info.name, usage, now);
      const record = await this.#sealer.macRecord({
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
        revision: 1,
      });
      await op.commitPoint();
      await this.#store.create(record, sealed);
      this.#records.set(id, record);
      this.#listCache.invalidate();
      if (!req.dualControl) return { key: record };
      const approval = await this.#requireApprovals().request(actor, "key.activate", id);
      return { key: record, approval };
    });
  }

  /** Reads one key's metadata. */
  get(actor: Actor, id: string): Promise<KeyRecord> {
    return this.#guard.run(actor, "key.read", id, {}, async (op) => {
      op.authorize("key:read");
      return await this.record(id);
    });
  }

  /** Lists keys with filters and paging (cached per actor until the next write). */
  list(actor: Actor, query: KeyListQuery): Promise<KeyListPage> {
    return this.#guard.run(actor, "key.list", null, query, async (op) => {
      op.authorize("key:read");
      return await this.#listCache.getOrLoad(actor.id, query, async () => {
        const page = await this.#store.list(query);
        for (const item of page.items) await this.#sealer.verifyRecord(item);
        return page;
      });
    });
  }

  /** Lists a key's versions with their derived states. */
  versions(actor: Actor, id: string): Promise<VersionInfo[]> {
    return this.#guard.run(actor, "key.versions", id, {}, async (op) => {
      op.authorize("key:read");
      const record = await this.record(id);
      const versions = await this.#store.listVersions(id);
      return versions.map((v) => versionInfo(record, v));
    });
  }

  /** Adds a new current version with fresh material (or opens an approval for it). */
  rotate(actor: Actor, id: string): Promise<KeyChange> {
    return this.#changeOrRequest(actor, "key.rotate", id, {}, "key:rotate", (record) => {
      requireState(record, ["active"], "rotate");
      return () => this.#rotate(record);
    });
  }

  /** Records a new version holding an earlier version's material (or opens an approval). */
  rollback(actor: Actor, id: string, target: number): Promise<KeyChange> {
    const params = { version: target };
    return this.#changeOrRequest(actor, "key.rollback", id, params, "key:rollback", (record) => {
      requireState(record, ["active"], "roll back");
      if (!Number.isInteger(target) || target < 1 || target >= record.currentVersion) {
        throw new HsmError(
          "invalid_request",
          `Cannot roll back to version ${target}: latest version is ${record.currentVersion}`,
        );
      }
      return () => this.#rollback(record, target);
    });
  }

  /** Executes an approved rotation (called by the approval service, already audited). */
  executeRotate(id: string): Promise<KeyRecord> {
    return this.#locks.with(id, async () => {
      const record = await this.record(id);
      requireState(record, ["active"], "rotate");
      return await this.#rotate(record);
    });
  }

  /** Executes an approved rollback (called by the approval service, already audited). */
  executeRollback(id: string, target: number): Promise<KeyRecord> {
    return this.#locks.with(id, async () => {
      const record = await this.record(id);
      requireState(record, ["active"], "roll back");
      if (target >= record.currentVersion) {
        throw new HsmError(
          "invalid_request",
          `Cannot roll back to version ${target}: latest version is ${record.currentVersion}`,
        );
      }
      return await this.#rollback(record, target);
    });
  }

  /** Revokes a key: verify/decrypt keep working, sign/encrypt refuse. */
  revoke(actor: Actor, id: string): Promise<KeyRecord> {
    return this.#mutate(actor, "key.revoke", id, {}, "key:revoke", async (record, op) => {
      requireState(record, ["active", "staged"], "revoke");
      const now = this.#clock().toISOString();
      return await this.#commit(op, record, { state: "revoked", updatedAt: now });
    });
  }

  /** Opens a destruction request; destruction always needs a second approver. */
  requestDestroy(actor: Actor, id: string): Promise<ApprovalRecord> {
    return this.#guard.run(actor, "key.destroy.request", id, {}, async (op) => {
      op.authorize("key:destroy");
      const record = await this.record(id);
      requireState(record, ["active", "staged", "revoked"], "destroy");
      await op.commitPoint();
      return await this.#requireApprovals().request(actor, "key.destroy", id);
    });
  }

  /** Executes an approved destruction (called by the approval service, already audited). */
  executeDestroy(id: string): Promise<KeyRecord> {
    return this.#locks.with(id, async () => {
      const record = await this.record(id);
      requireState(record, ["active", "staged", "revoked"], "destroy");
      const next = await this.#next(record, {
        state: "destroyed",
        updatedAt: this.#clock().toISOString(),
      });
      await this.#write(id, next, () => this.#store.destroy(next));
      this.#loader.invalidate(id);
      this.#listCache.invalidate();
      return next;
    });
  }

  /** Activates a staged key (called by the approval service, already audited). */
  activate(id: string): Promise<KeyRecord> {
    return this.#locks.with(id, async () => {
      const record = await this.record(id);
      requireState(record, ["staged"], "activate");
      const next = await this.#next(record, {
        state: "active",
        updatedAt: this.#clock().toISOString(),
      });
      await this.#write(id, next, () => this.#store.update(next));
      this.#listCache.invalidate();
      return next;
    });
  }

  /**
   * Reads and integrity-checks a key record (no authorization; for services).
   * @throws HsmError("not_found" | "integrity_error")
   */
  async record(id: string): Promise<KeyRecord> {
    const cached = this.#records.get(id);
    if (cached !== undefined) return cached;
    const record = await this.#store.get(id);
    if (record === undefined) throw new HsmError("not_found", `Key ${id} not found`);
    await this.#sealer.verifyRecord(record);
    this.#records.set(id, record);
    return record;
  }

  /** Writes through the store and keeps the verified-record cache in step with it. */
  async #write(id: string, next: KeyRecord, write: () => Promise<void>): Promise<void> {
    this.#records.delete(id);
    await write();
    this.#records.set(id, next);
  }

  /**
   * Runs a guarded change: `check` validates the current record and returns the commit
   * step; under dual control the commit is deferred to an approval instead.
   */
  #changeOrRequest(
    actor: Actor,
    action: ApprovableAction,
    id: string,
    params: Record<string, unknown>,
    rbacAction: string,
    check: (record: KeyRecord) => () => Promise<KeyRecord>,
  ): Promise<KeyChange> {
    return this.#guard.run(actor, action, id, params, async (op) => {
      op.authorize(rbacAction);
      return await this.#locks.with(id, async () => {
        const commit = check(await this.record(id));
        await op.commitPoint();
        const approvals = this.#requireApprovals();
        if (approvals.requires(action)) {
          return { approval: await approvals.request(actor, action, id, params) };
        }
        return { key: await commit() };
      });
    });
  }

  async #rotate(record: KeyRecord): Promise<KeyRecord> {
    const version = record.currentVersion + 1;
    const now = this.#clock().toISOString();
    const sealed = await this.#generateSealed(
      record.id,
      version,
      record.algorithm,
      record.usage,
      now,
    );
    return await this.#commit(
      undefined,
      record,
      { currentVersion: version, updatedAt: now },
      sealed,
    );
  }

  async #rollback(record: KeyRecord, target: number): Promise<KeyRecord> {
    const source = await this.#store.getVersion(record.id, target);
    if (source === undefined) {
      throw new HsmError("not_found", `Cannot roll back to version ${target}: not found`);
    }
    const material = await this.#sealer.unseal(source, { keyId: record.id, version: target });
    const version = record.currentVersion + 1;
    const now = this.#clock().toISOString();
    let sealed: SealedVersion;
    try {
      sealed = await this.#sealer.seal({
        keyId: record.id,
        version,
        algorithm: record.algorithm,
        usage: record.usage,
        createdAt: now,
        sourceVersion: target,
      }, material);
    } finally {
      wipe(material);
    }
    return await this.#commit(
      undefined,
      record,
      { currentVersion: version, updatedAt: now },
      sealed,
    );
  }

  #requireApprovals(): ApprovalRequester {
    if (this.#approvals === undefined) throw new TypeError("approval service not connected");
    return this.#approvals;
  }

  #mutate(
    actor: Actor,
    action: string,
    id: string,
    payload: unknown,
    rbacAction: string,
    fn: (record: KeyRecord, op: GuardedOp) => Promise<KeyRecord>,
  ): Promise<KeyRecord> {
    return this.#guard.run(actor, action, id, payload, async (op) => {
      op.authorize(rbacAction);
      return await this.#locks.with(id, async () => await fn(await this.record(id), op));
    });
  }

  async #next(
    record: KeyRecord,
    change: Partial<Pick<KeyRecord, "state" | "currentVersion" | "updatedAt">>,
  ): Promise<KeyRecord> {
    const { mac: _mac, ...rest } = record;
    return await this.#sealer.macRecord({ ...rest, ...change, revision: record.revision + 1 });
  }

  async #commit(
    op: GuardedOp | undefined,
    record: KeyRecord,
    change: Partial<Pick<KeyRecord, "state" | "currentVersion" | "updatedAt">>,
    version?: SealedVersion,
  ): Promise<KeyRecord> {
    const next = await this.#next(record, change);
    await op?.commitPoint();
    await this.#write(record.id, next, () => this.#store.update(next, version));
    this.#listCache.invalidate();
    return next;
  }

  async #generateSealed(
    keyId: string,
    version: number,
    algorithm: Algorithm,
    usage: readonly Usage[],
    createdAt: string,
  ): Promise<SealedVersion> {
    const material = await providerFor(algorithm).generate(algorithm);
    try {
      return await this.#sealer.seal({ keyId, version, algorithm, usage, createdAt }, material);
    } finally {
      wipe(material);
    }
  }
}

/** @throws HsmError("invalid_state") unless the key is in one of `allowed` */
export function requireState(record: KeyRecord, allowed: readonly KeyState[], verb: string): void {
  if (!allowed.includes(record.state)) {
    throw new HsmError("invalid_state", `Cannot ${verb} key ${record.id}: it is ${record.state}`);
  }
}

function versionInfo(record: KeyRecord, v: SealedVersion): VersionInfo {
  const state = record.state === "destroyed"
    ? "destroyed"
    : record.state !== "revoked" && v.version === record.currentVersion
    ? "active"
    : "revoked";
  return {
    version: v.version,
    state,
    createdAt: v.createdAt,
    ...(v.sourceVersion === undefined ? {} : { sourceVersion: v.sourceVersion }),
  };
}
