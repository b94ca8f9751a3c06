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
import type { AnchorRecord, AuditEntry } from "../domain/audit_entry.ts";
import type { ApprovableAction } from "../domain/approvals.ts";

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
  close(): Promise<void>;
}

/** A batch chained after the stored head, and the MAC'd head that follows it. */
export interface ChainedBatch {
  readonly entries: readonly AuditEntry[];
  readonly head: AnchorRecord;
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
