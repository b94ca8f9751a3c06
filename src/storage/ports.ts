/**
 * Storage ports: the interfaces services depend on. Adapters (memory/, file/, sqlite/)
 * implement them; services never import an adapter. Stores hold only sealed key
 * material and metadata; they never see plaintext keys.
 *
 * Every write is atomic: it either fully happens or not at all. Key-record writes use
 * optimistic concurrency: a write names the `revision` it replaces and fails with
 * `HsmError("conflict")` when another writer got there first.
 */

import type { Algorithm, Usage } from "../core/algorithms.ts";

/** Lifecycle state of a key. */
export type KeyState = "staged" | "active" | "revoked" | "destroyed";

/** Per-version state: the current version is `active`, earlier ones `revoked`. */
export type VersionState = "active" | "revoked" | "destroyed";

/** A key's metadata, as stored. Never holds key material. */
export interface KeyRecord {
  readonly id: string;
  readonly name: string;
  readonly algorithm: Algorithm;
  readonly usage: readonly Usage[];
  readonly tags: Readonly<Record<string, string>>;
  readonly state: KeyState;
  readonly currentVersion: number;
  readonly dualControl: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Incremented by every write; the optimistic-concurrency token. Starts at 1. */
  readonly revision: number;
  /** HMAC-SHA-384 (base64) over the record's canonical form; detects edits at rest. */
  readonly mac: string;
}

/**
 * One sealed key version: `version ‖ algorithm ‖ usage ‖ ciphertext ‖ nonce ‖ mac`.
 * `ciphertext` is the material under AES-256-GCM with the master key; `mac` is
 * HMAC-SHA-384 under the HMAC key over every other field and the key id.
 */
export interface SealedVersion {
  readonly keyId: string;
  readonly version: number;
  readonly algorithm: Algorithm;
  readonly usage: readonly Usage[];
  readonly createdAt: string;
  /** For rollback generations: the version whose material this one holds. */
  readonly sourceVersion?: number;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly mac: Uint8Array;
}

/** Filters and paging for `KeyStore.list`. */
export interface KeyListQuery {
  readonly algorithm?: Algorithm;
  readonly state?: KeyState;
  readonly tag?: { readonly key: string; readonly value: string };
  /** Zero-based offset. */
  readonly offset: number;
  readonly limit: number;
}

/** A page of keys, ordered by creation time then id, with the total matching count. */
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
  /** Lists keys matching the filters, newest last. */
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

/** One audit log entry, exactly the contract's fields. */
export interface AuditEntry {
  readonly seq: number;
  readonly ts: string;
  readonly actor: string;
  readonly action: string;
  readonly key_id: string | null;
  readonly result: string;
  /** Hex SHA-256 of the canonical request payload (never the payload itself). */
  readonly payload_hash: string;
  /** Hex hash of the previous entry (64 zeros for the first). */
  readonly prev_hash: string;
  /** Hex HMAC-SHA-384 over this entry's other fields and `prev_hash`. */
  readonly mac: string;
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
  close(): Promise<void>;
}

/** State of a dual-control request. */
export type ApprovalState = "pending" | "approved" | "denied" | "executed" | "expired";

/** A dual-control request as stored. */
export interface ApprovalRecord {
  readonly id: string;
  readonly action: string;
  readonly keyId: string | null;
  readonly requestedBy: string;
  readonly approvals: readonly { readonly actor: string; readonly at: string }[];
  readonly quorum: number;
  readonly state: ApprovalState;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** Action parameters needed to execute it later (never key material). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly revision: number;
}

/** Persistent store of approvals. */
export interface ApprovalStore {
  /** @throws HsmError("conflict") when the id exists. */
  create(record: ApprovalRecord): Promise<void>;
  get(id: string): Promise<ApprovalRecord | undefined>;
  list(state?: ApprovalState): Promise<ApprovalRecord[]>;
  /** Replaces a record; `revision` must be stored + 1. @throws HsmError("conflict") */
  update(record: ApprovalRecord): Promise<void>;
  close(): Promise<void>;
}
