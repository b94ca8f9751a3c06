/**
 * The writes of the key lifecycle: create, rotate, roll back, change state, destroy.
 * Each write builds the next MAC'd record, runs the caller's commit point (where the
 * audit entry naming the new revision becomes durable, see `audit/record_journal.ts`)
 * and only then writes the store, so nothing changes unaudited or unjournaled. Material is generated and sealed inside the core; only sealed bytes reach
 * the store.
 *
 * Changes to one key run one at a time in this process (`withKey`); stores still
 * enforce the `revision` check against writers elsewhere. The approval executors
 * (`activate`, `rotate`, `rollback`, `destroy` by id) take the lock themselves and check
 * the lifecycle rules again, since the key may have changed while the approval waited.
 */

import type { Algorithm, Usage } from "../domain/algorithms.ts";
import { HsmError } from "../domain/errors.ts";
import { nextVersion, requireRollbackTarget, requireTransition } from "../domain/key_lifecycle.ts";
import type { KeyRecord, KeyState, SealedVersion } from "../domain/records.ts";
import { providerFor } from "../core/providers/index.ts";
import type { Sealer } from "../core/sealing.ts";
import { wipe } from "../core/zeroize.ts";
import type { RecordRef } from "../domain/audit_entry.ts";
import { refOf } from "../audit/record_journal.ts";
import type { KeyStore } from "../storage/ports.ts";
import { KeyLocks } from "../util/keyed_locks.ts";
import type { KeyLoader } from "./key_loader.ts";
import type { KeyRecords } from "./key_records.ts";
import type { ListCache } from "./list_cache.ts";

/** Dependencies of KeyTransitions. */
export interface KeyTransitionsOptions {
  readonly store: KeyStore;
  readonly sealer: Sealer;
  readonly records: KeyRecords;
  readonly loader: KeyLoader;
  readonly listCache: ListCache;
  readonly clock?: () => Date;
  /**
   * Generates fresh material for a new version (default: the provider's `generate` on
   * this thread; the server passes one that uses the offload pool).
   */
  readonly generate?: (algorithm: Algorithm) => Promise<Uint8Array>;
}

/** The fields of a new version that `generateSealed` seals with fresh material. */
export interface VersionHeader {
  readonly keyId: string;
  readonly version: number;
  readonly algorithm: Algorithm;
  readonly usage: readonly Usage[];
  readonly createdAt: string;
}

/**
 * Runs when a change is final and about to be written: the audit commit point, which
 * journals the record revisions about to be stored (see `audit/record_journal.ts`).
 */
export type CommitPoint = (records: readonly RecordRef[]) => Promise<void>;

/** The record fields a lifecycle change may set. */
type RecordChange = Partial<Pick<KeyRecord, "state" | "currentVersion" | "updatedAt">>;

/** Settings `amend` changes; `rotationPeriod: null` removes the period. */
export interface KeySettingsChange {
  readonly tags?: Readonly<Record<string, string>>;
  readonly rotationPeriod?: string | null;
  readonly minDecryptionVersion?: number;
}

/** Applies lifecycle changes to stored keys. */
export class KeyTransitions {
  #store: KeyStore;
  #sealer: Sealer;
  #records: KeyRecords;
  #loader: KeyLoader;
  #listCache: ListCache;
  #clock: () => Date;
  #generate: (algorithm: Algorithm) => Promise<Uint8Array>;
  #locks = new KeyLocks();

  constructor(options: KeyTransitionsOptions) {
    this.#store = options.store;
    this.#sealer = options.sealer;
    this.#records = options.records;
    this.#loader = options.loader;
    this.#listCache = options.listCache;
    this.#clock = options.clock ?? (() => new Date());
    this.#generate = options.generate ??
      ((algorithm) => providerFor(algorithm).generate(algorithm));
  }

  /** The current time as the records store it. */
  now(): string {
    return this.#clock().toISOString();
  }

  /** Runs `fn` on the verified current record while holding the key's lock. */
  withKey<T>(id: string, fn: (record: KeyRecord) => Promise<T>): Promise<T> {
    return this.#locks.with(id, async () => await fn(await this.#records.get(id)));
  }

  /** Generates fresh material for `algorithm` and seals it as one version. */
  async generateSealed(version: VersionHeader): Promise<SealedVersion> {
    const material = await this.#generate(version.algorithm);
    try {
      return await this.#sealer.seal(version, material);
    } finally {
      wipe(material);
    }
  }

  /** MACs a new record (revision 1). */
  newRecord(record: Omit<KeyRecord, "mac" | "revision">): KeyRecord {
    return this.#sealer.macRecord({ ...record, revision: 1 });
  }

  /**
   * Stores a new key with its first version. The caller's commit point must already have
   * journaled `refOf("key", record)`.
   */
  async create(record: KeyRecord, first: SealedVersion): Promise<void> {
    await this.#records.write(record, () => this.#store.create(record, first));
    this.#listCache.invalidate();
  }

  /** Adds a version with fresh material (the caller holds the lock and checked the rules). */
  async rotate(record: KeyRecord, commit: CommitPoint): Promise<KeyRecord> {
    const version = nextVersion(record);
    const now = this.now();
    const sealed = await this.generateSealed({
      keyId: record.id,
      version,
      algorithm: record.algorithm,
      usage: record.usage,
      createdAt: now,
    });
    return await this.#apply(record, { currentVersion: version, updatedAt: now }, {
      version: sealed,
      commit,
    });
  }

  /** Adds a version holding `target`'s material (lock held, rules checked by the caller). */
  async rollback(record: KeyRecord, target: number, commit: CommitPoint): Promise<KeyRecord> {
    const source = await this.#store.getVersion(record.id, target);
    if (source === undefined) {
      throw new HsmError("not_found", `Cannot roll back to version ${target}: not found`);
    }
    if (source.purgedAt !== undefined) {
      throw new HsmError(
        "invalid_state",
        `Cannot roll back to version ${target}: its material was purged`,
      );
    }
    const material = await this.#sealer.unseal(source, { keyId: record.id, version: target });
    const version = nextVersion(record);
    const now = this.now();
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
    return await this.#apply(record, { currentVersion: version, updatedAt: now }, {
      version: sealed,
      commit,
    });
  }

  /**
   * Adds a version holding caller-supplied, already sealed material (an import) as the
   * new current version (lock held, rules checked by the caller).
   */
  async addVersion(
    record: KeyRecord,
    sealed: SealedVersion,
    commit: CommitPoint,
  ): Promise<KeyRecord> {
    if (sealed.keyId !== record.id || sealed.version !== nextVersion(record)) {
      throw new RangeError("A new version must be the next version of the same key");
    }
    return await this.#apply(record, { currentVersion: sealed.version, updatedAt: this.now() }, {
      version: sealed,
      commit,
    });
  }

  /** Changes tags, rotation period or minimum decryption version (lock held, rules checked). */
  async amend(
    record: KeyRecord,
    change: KeySettingsChange,
    commit: CommitPoint,
  ): Promise<KeyRecord> {
    const { mac: _mac, rotationPeriod, ...rest } = record;
    const period = change.rotationPeriod === undefined ? rotationPeriod : change.rotationPeriod;
    const next = this.#sealer.macRecord({
      ...rest,
      ...(change.tags === undefined ? {} : { tags: { ...change.tags } }),
      ...(period === undefined || period === null ? {} : { rotationPeriod: period }),
      ...(change.minDecryptionVersion === undefined
        ? {}
        : { minDecryptionVersion: change.minDecryptionVersion }),
      updatedAt: this.now(),
      revision: record.revision + 1,
    });
    await commit([refOf("key", next)]);
    await this.#records.write(next, () => this.#store.update(next));
    this.#listCache.invalidate();
    return next;
  }

  /** Moves the key to `state` (lock held, rules checked by the caller). */
  async setState(record: KeyRecord, state: KeyState, commit: CommitPoint): Promise<KeyRecord> {
    return await this.#apply(record, { state, updatedAt: this.now() }, { commit });
  }

  /** Executes an approved activation of a staged key. */
  activate(id: string, commit: CommitPoint): Promise<KeyRecord> {
    return this.withKey(id, async (record) => {
      requireTransition(record, "activate");
      return await this.setState(record, "active", commit);
    });
  }

  /** Executes an approved rotation. */
  rotateById(id: string, commit: CommitPoint): Promise<KeyRecord> {
    return this.withKey(id, async (record) => {
      requireTransition(record, "rotate");
      return await this.rotate(record, commit);
    });
  }

  /** Executes an approved rollback. */
  rollbackById(id: string, target: number, commit: CommitPoint): Promise<KeyRecord> {
    return this.withKey(id, async (record) => {
      requireTransition(record, "rollback");
      requireRollbackTarget(record, target);
      return await this.rollback(record, target, commit);
    });
  }

  /**
   * Executes an approved destruction: the record says destroyed and every version is
   * deleted, or, with `retainVersions` (a retention class that keeps destroyed keys for a
   * while), kept unusable until retention purges them.
   */
  destroy(
    id: string,
    commit: CommitPoint,
    options: { readonly retainVersions?: boolean } = {},
  ): Promise<KeyRecord> {
    return this.withKey(id, async (record) => {
      requireTransition(record, "destroy");
      const next = await this.#next(record, { state: "destroyed", updatedAt: this.now() });
      await commit([refOf("key", next)]);
      await this.#records.write(
        next,
        () => options.retainVersions ? this.#store.update(next) : this.#store.destroy(next),
      );
      this.#loader.invalidate(id);
      this.#listCache.invalidate();
      return next;
    });
  }

  #next(record: KeyRecord, change: RecordChange): KeyRecord {
    const { mac: _mac, ...rest } = record;
    return this.#sealer.macRecord({ ...rest, ...change, revision: record.revision + 1 });
  }

  async #apply(
    record: KeyRecord,
    change: RecordChange,
    options: { readonly version?: SealedVersion; readonly commit: CommitPoint },
  ): Promise<KeyRecord> {
    const next = await this.#next(record, change);
    await options.commit([refOf("key", next)]);
    await this.#records.write(next, () => this.#store.update(next, options.version));
    this.#listCache.invalidate();
    return next;
  }
}
