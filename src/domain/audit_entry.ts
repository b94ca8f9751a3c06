/**
 * The audit log entry: the contract's fields, the strict parse of an untrusted value
 * (a log line or a row) and the one serialization every store writes. Pure data; the
 * hash chain and MACs that protect entries live in `src/audit/chain.ts`.
 */

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
  /**
   * The record revisions this entry commits (the record journal), as space-separated
   * `kind:id@revision:digest` refs; absent on entries that change no record.
   */
  readonly records?: string;
  /**
   * The HTTP request's correlation id (`X-Request-Id`, `[A-Za-z0-9._-]{1,64}`); absent on
   * entries written outside a request (CLI, PKCS#11, start-up).
   */
  readonly request_id?: string;
}

/** What a request id in an audit entry may look like (the `X-Request-Id` the app accepts). */
export const REQUEST_ID_RE: RegExp = /^[A-Za-z0-9._-]{1,64}$/;

/** One journaled record revision: `kind:id@revision:digest`. */
export interface RecordRef {
  readonly kind: "key" | "approval" | "policy";
  readonly id: string;
  readonly revision: number;
  /** Hex SHA-256 prefix (32 chars) of the record's MAC. */
  readonly digest: string;
}

const REF_RE = /^(key|approval|policy):([A-Za-z0-9_-]{1,64})@([1-9][0-9]{0,15}):([0-9a-f]{32})$/;

/** Formats refs as an entry's `records` field. */
export function formatRecordRefs(refs: readonly RecordRef[]): string {
  return refs.map((r) => `${r.kind}:${r.id}@${r.revision}:${r.digest}`).join(" ");
}

/** Parses an entry's `records` field; undefined when any ref is malformed. */
export function parseRecordRefs(text: string): RecordRef[] | undefined {
  const refs: RecordRef[] = [];
  for (const part of text.split(" ")) {
    const m = REF_RE.exec(part);
    if (m === null) return undefined;
    refs.push({
      kind: m[1] as RecordRef["kind"],
      id: m[2] as string,
      revision: Number(m[3]),
      digest: m[4] as string,
    });
  }
  return refs;
}

const HASH_RE = /^[0-9a-f]{64}$/;
const MAC_RE = /^[0-9a-f]{96}$/;
const ENTRY_KEYS = [
  "seq",
  "ts",
  "actor",
  "action",
  "key_id",
  "result",
  "payload_hash",
  "prev_hash",
  "mac",
] as const;

/**
 * Validates an untrusted value (a parsed log line or row) as an AuditEntry: exactly the
 * contract's keys, seq a positive safe integer, lowercase hex hashes, well-formed
 * strings. Returns undefined when it is not one.
 */
export function parseAuditEntry(value: unknown): AuditEntry | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const keys = Object.keys(v);
  const hasRecords = Object.hasOwn(v, "records");
  const hasRequestId = Object.hasOwn(v, "request_id");
  const extra = (hasRecords ? 1 : 0) + (hasRequestId ? 1 : 0);
  if (keys.length !== ENTRY_KEYS.length + extra || !ENTRY_KEYS.every((k) => Object.hasOwn(v, k))) {
    return undefined;
  }
  if (hasRecords && (typeof v.records !== "string" || parseRecordRefs(v.records) === undefined)) {
    return undefined;
  }
  if (hasRequestId && (typeof v.request_id !== "string" || !REQUEST_ID_RE.test(v.request_id))) {
    return undefined;
  }
  const { seq, ts, actor, action, key_id, result, payload_hash, prev_hash, mac } = v;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) return undefined;
  for (const s of [ts, actor, action, result]) {
    if (typeof s !== "string" || !s.isWellFormed()) return undefined;
  }
  if (key_id !== null && (typeof key_id !== "string" || !key_id.isWellFormed())) return undefined;
  if (typeof payload_hash !== "string" || !HASH_RE.test(payload_hash)) return undefined;
  if (typeof prev_hash !== "string" || !HASH_RE.test(prev_hash)) return undefined;
  if (typeof mac !== "string" || !MAC_RE.test(mac)) return undefined;
  return toEntry(v as unknown as AuditEntry);
}

/** One JSON line (no newline) with the contract's fixed key order. */
export function serializeEntry(entry: AuditEntry): string {
  return JSON.stringify(toEntry(entry));
}

/** A copy of the entry with exactly the contract's keys, in the contract's order. */
export function toEntry(e: AuditEntry): AuditEntry {
  return {
    seq: e.seq,
    ts: e.ts,
    actor: e.actor,
    action: e.action,
    key_id: e.key_id,
    result: e.result,
    payload_hash: e.payload_hash,
    prev_hash: e.prev_hash,
    mac: e.mac,
    ...(e.records === undefined ? {} : { records: e.records }),
    ...(e.request_id === undefined ? {} : { request_id: e.request_id }),
  };
}

/** A signed anchor as stored: the last durable entry's seq and hash, and its MAC. */
export interface AnchorRecord {
  readonly seq: number;
  readonly hash: string;
  /** Hex HMAC-SHA-384 over "ferrohsm audit anchor v1" ‖ seq ‖ hash. */
  readonly mac: string;
}

/**
 * The base of a live audit log whose older entries were archived: the seq and hash of
 * the last archived entry (the live log continues at seq + 1) and the names of the
 * archive segments holding seqs 1..seq, MAC'd so neither can be swapped.
 */
export interface AuditBase {
  readonly seq: number;
  readonly hash: string;
  /** Archive segment names, oldest first. */
  readonly segments: readonly string[];
  /** Hex HMAC-SHA-384 over "ferrohsm audit base v1" ‖ seq ‖ hash ‖ segments. */
  readonly mac: string;
}

/** True when `value` has the shape of an audit base (its MAC is not checked). */
export function isAuditBase(value: unknown): value is AuditBase {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.seq === "number" && Number.isSafeInteger(v.seq) && v.seq >= 1 &&
    typeof v.hash === "string" && HASH_RE.test(v.hash) &&
    Array.isArray(v.segments) && v.segments.every((s) => typeof s === "string") &&
    typeof v.mac === "string" && MAC_RE.test(v.mac);
}

/** True when `value` has the shape of an anchor record (its MAC is not checked). */
export function isAnchorRecord(value: unknown): value is AnchorRecord {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.seq === "number" && Number.isSafeInteger(v.seq) && v.seq >= 0 &&
    typeof v.hash === "string" && HASH_RE.test(v.hash) &&
    typeof v.mac === "string" && MAC_RE.test(v.mac);
}

/** Why verification of an audit chain failed. */
export const VERIFY_FAILURE_REASONS = [
  "malformed_entry",
  "sequence_gap",
  "out_of_order",
  "mac_mismatch",
  "chain_broken",
  "truncated",
  "anchor_mismatch",
  "anchor_invalid",
  "anchor_missing",
  "record_rollback",
  "record_unjournaled",
  "archive_missing",
  "archive_mismatch",
] as const;

/** A reason verification failed. */
export type VerifyFailureReason = typeof VERIFY_FAILURE_REASONS[number];
