/**
 * Storage ports: the interfaces services depend on. Adapters (memory/, file/, sqlite/)
 * implement them; services never import an adapter. Stores hold only sealed key
 * material and metadata; they never see plaintext keys.
 *
 * Every write is atomic: it either fully happens or not at all. Key-record writes use
 * optimistic concurrency: a write names the `revision` it replaces and fails with
 * `HsmError("conflict")` when another writer got there first.
 */

import type { Algorithm } from "../domain/algorithms.ts";
import type {
  ApprovalRecord,
  ApprovalState,
  KeyRecord,
  KeyState,
  SealedVersion,
} from "../domain/records.ts";
import type { AnchorRecord, AuditBase, AuditEntry } from "../domain/audit_entry.ts";
import type { ApprovableAction } from "../domain/approvals.ts";
import type { PolicyVersionRecord } from "../domain/policies.ts";

/** A position in the list order: the creation time and id of one key. */
export interface KeyCursor {
  readonly createdAt: string;
  readonly id: string;
}

/**
 * Filters and paging for `KeyStore.list`: either OFFSET paging (`offset`), or keyset
 * paging from a cursor (`after` or `before`, with `offset` 0), which costs the same on
 * every page however deep.
 */
export interface KeyListQuery {
  readonly algorithm?: Algorithm;
  readonly state?: KeyState;
  readonly tag?: { readonly key: string; readonly value: string };
  /** Names containing this text, ASCII letters compared case-insensitively. */
  readonly nameContains?: string;
  /** Zero-based offset. */
  readonly offset: number;
  readonly limit: number;
  /** Only keys after this position (the page that follows it). */
  readonly after?: KeyCursor;
  /** Only keys before this position (the page that precedes it, still in list order). */
  readonly before?: KeyCursor;
  /**
   * The total matching count when the caller already knows it (the listing cache learnt
   * it since the last key write): stores may skip counting and answer it as `total`, and
   * may read an offset page near the end backwards from it.
   */
  readonly total?: number;
}

/**
 * A page of keys, ordered by creation time then id, with the total matching count (the
 * filters only: a cursor does not change `total`).
 */
export interface KeyListPage {
  readonly items: KeyRecord[];
  readonly total: number;
}

/** Persistent store of key records and their sealed versions. */
export interface KeyStore {
  /** Creates a key with its first version. @throws HsmError("conflict") when the id exists. */
  create(record: KeyRecord, first: SealedVersion): Promise<void>;
  /** The key record, or undefined. */
  get(id: string): Promise<KeyRecord | undefined>;
  /** Lists keys matching the filters, newest last. @throws RangeError for bad paging */
  list(query: KeyListQuery): Promise<KeyListPage>;
  /**
   * Replaces the record (its `revision` must be the stored one + 1) and, when given,
   * adds a new immutable version, in one atomic step.
   * @throws HsmError("conflict") on a revision mismatch or an existing version number
   * @throws HsmError("not_found") when the key does not exist
   */
  update(record: KeyRecord, newVersion?: SealedVersion): Promise<void>;
  /** One sealed version, or undefined. */
  getVersion(id: string, version: number): Promise<SealedVersion | undefined>;
  /** Every sealed version of a key, ascending. */
  listVersions(id: string): Promise<SealedVersion[]>;
  /**
   * Marks the key destroyed (record replaced as in `update`) and deletes every sealed
   * version, atomically. The record stays so the id is never reused.
   */
  destroy(record: KeyRecord): Promise<void>;
  /**
   * Wipes one version's sealed material for good and keeps its metadata as a stub
   * (`purgedAt` set, byte fields empty), which `getVersion` and `listVersions` return
   * from then on. Files are overwritten, fsynced and unlinked; SQLite deletes the row
   * under `secure_delete` and checkpoints its WAL; PostgreSQL empties the row's byte fields.
   * Purging a purged version does nothing. Resolves true when this call purged it, false
   * when it was purged already (by another node sharing the store, say).
   * @throws HsmError("not_found") when the key or the version does not exist
   */
  purgeVersion(id: string, version: number, purgedAt: string): Promise<boolean>;
  /** Releases files and connections. */
  close(): Promise<void>;
}

/**
 * Persistent store of policy scripts, one immutable row per version. A write adds the
 * next version of a policy: version 1 creates it, version n + 1 must follow the latest
 * stored version (optimistic concurrency, like key records).
 */
export interface PolicyStore {
  /**
   * Adds a version.
   * @throws HsmError("conflict") when version 1 names an existing id, or a later version
   *   does not follow the latest stored one
   * @throws HsmError("not_found") when a later version names an unknown id
   */
  put(record: PolicyVersionRecord): Promise<void>;
  /** The latest version of a policy (a deletion's tombstone included), or undefined. */
  latest(id: string): Promise<PolicyVersionRecord | undefined>;
  /** One version of a policy, or undefined. */
  version(id: string, version: number): Promise<PolicyVersionRecord | undefined>;
  /** Every version of a policy, ascending. */
  versions(id: string): Promise<PolicyVersionRecord[]>;
  /** The latest version of every policy (tombstones included), by creation time then id. */
  list(): Promise<PolicyVersionRecord[]>;
  /** Releases files and connections. */
  close(): Promise<void>;
}

/** Append-only, durable audit storage. */
export interface AuditStore {
  /**
   * Appends a batch in order; resolves only once every entry is durable (one fsync or
   * one transaction per batch). Rejects without a partial write visible to readers.
   */
  append(entries: readonly AuditEntry[]): Promise<void>;
  /** The last entry, or undefined for an empty log. */
  last(): Promise<AuditEntry | undefined>;
  /** Entries with `seq > afterSeq`, ascending, at most `limit`. */
  list(afterSeq: number, limit: number): Promise<AuditEntry[]>;
  /** Every entry in stored order (as found on disk, for verification). */
  scan(): AsyncIterable<AuditEntry>;
  /**
   * The entries the record journal is rebuilt from, ascending, after `afterSeq` (default
   * 0): those with `records`, and those whose action is one of `actions` (the server start
   * and stop markers).
   */
  journal(actions: readonly string[], afterSeq?: number): AsyncIterable<AuditEntry>;
  /**
   * Optional, for a log shared by several writers (nodes): in one transaction, locks the
   * stored chain head, calls `build` with it (undefined before the first anchor), stores
   * the entries it returns and moves the head to its anchor; resolves once committed.
   * A log that offers it chains after the stored head, never after its own memory.
   */
  appendChained?(
    build: (head: AnchorRecord | undefined) => Promise<ChainedBatch>,
  ): Promise<ChainedBatch>;
  /**
   * Removes every entry with seq ≤ `seq` (they were archived); later entries keep their
   * seqs. Removing entries that are already gone does nothing.
   */
  dropThrough(seq: number): Promise<void>;
  close(): Promise<void>;
}

/** A batch chained after the stored head, and the MAC'd head that follows it. */
export interface ChainedBatch {
  readonly entries: readonly AuditEntry[];
  readonly head: AnchorRecord;
}

/**
 * Archived segments of the audit log and the base of the live log: immutable files of
 * entries (seqs `from..to`, in order) and the MAC'd record of where the live log starts.
 */
export interface AuditArchiveStore {
  /** Writes a segment durably; refuses to overwrite one. Resolves with its name. */
  writeSegment(entries: readonly AuditEntry[]): Promise<string>;
  /** The entries of a segment, in order. @throws HsmError("not_found" | "integrity_error") */
  readSegment(name: string): AsyncIterable<AuditEntry>;
  /** The base, or undefined when nothing was archived. */
  readBase(): Promise<AuditBase | undefined>;
  /** Replaces the base atomically and durably. */
  writeBase(base: AuditBase): Promise<void>;
}

/** Filters and paging for `ApprovalStore.list`. */
export interface ApprovalListQuery {
  /**
   * The state as callers see it: a stored `pending` approval whose `expiresAt` is not
   * after `now` counts as `expired`.
   */
  readonly state?: ApprovalState;
  readonly action?: ApprovableAction;
  readonly keyId?: string;
  /** The instant that decides expiry (ISO 8601, as `expiresAt` is written). */
  readonly now: string;
  /** Zero-based offset. */
  readonly offset: number;
  readonly limit: number;
}

/** A page of approvals, ordered by creation time then id, with the total matching count. */
export interface ApprovalPage {
  readonly items: ApprovalRecord[];
  readonly total: number;
}

/** Persistent store of approvals. */
export interface ApprovalStore {
  /** Stores a new approval. @throws HsmError("conflict") when the id exists. */
  create(record: ApprovalRecord): Promise<void>;
  /**
   * Optional, for a store shared by several nodes: stores a new pending request unless
   * one for the same action and key is pending and unexpired at `record.createdAt`,
   * atomically. @throws HsmError("conflict") when one is, or when the id exists
   */
  createExclusive?(record: ApprovalRecord): Promise<void>;
  get(id: string): Promise<ApprovalRecord | undefined>;
  /** Approvals matching the query, by creation time then id. */
  list(query: ApprovalListQuery): Promise<ApprovalPage>;
  /** How many approvals are in each state as callers see it at `now` (for metrics). */
  countByState(now: string): Promise<Record<ApprovalState, number>>;
  /** Replaces a record; `revision` must be stored + 1. @throws HsmError("conflict") */
  update(record: ApprovalRecord): Promise<void>;
  close(): Promise<void>;
}

/** Append-only, durable lines: the retention ledger of signed destruction receipts. */
export interface LedgerStore {
  /**
   * Appends the line `next` builds from the last committed line (undefined when the
   * ledger is empty), holding an exclusive lock from the read to the fsync, so writers in
   * several processes still chain correctly; resolves with the line once durable.
   */
  append(next: (last: string | undefined) => Promise<string>): Promise<string>;
  /** Every committed line, in order. */
  lines(): Promise<string[]>;
  close(): Promise<void>;
}

/** Operations to add to one key version's usage counter. */
export interface UsageDelta {
  readonly keyId: string;
  readonly version: number;
  readonly count: number;
}

/**
 * Operation counters per key version. Informational (like the counters of an HSM's key
 * usage report): not MAC'd or journaled, and a crash loses what was not flushed yet.
 */
export interface UsageStore {
  /** Adds each delta to its counter (creating it at zero), in one atomic write. */
  add(deltas: readonly UsageDelta[]): Promise<void>;
  /** The counters of one key, by version (versions never used are absent). */
  get(keyId: string): Promise<Map<number, number>>;
  close(): Promise<void>;
}

/** Where the anchor lives. `read` does not check the MAC; `verifyAnchor` does. */
export interface AnchorStore {
  /** The stored anchor, or undefined when none. @throws HsmError("integrity_error") */
  read(): Promise<AnchorRecord | undefined>;
  /** Replaces the stored anchor atomically. */
  write(record: AnchorRecord): Promise<void>;
}
