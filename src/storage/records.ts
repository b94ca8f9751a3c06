/**
 * Helpers shared by the store adapters: id and version checks, shape checks for stored
 * records (so a corrupted file or row surfaces as `integrity_error` instead of a value
 * of the wrong type), deep copies, and the one list ordering every adapter uses.
 *
 * Shape checks are not integrity checks: the record and version MACs, verified by the
 * service layer, are what detect deliberate edits at rest.
 */

import { isAlgorithm } from "../core/algorithms.ts";
import { type Usage, USAGE_NAMES } from "../domain/algorithms.ts";
import { APPROVABLE_ACTIONS } from "../domain/approvals.ts";
import { HsmError } from "../domain/errors.ts";
import type {
  ApprovalListQuery,
  ApprovalPage,
  KeyListPage,
  KeyListQuery,
  UsageDelta,
} from "./ports.ts";
import {
  APPROVAL_STATES,
  type ApprovalRecord,
  type ApprovalState,
  KEY_ORIGINS,
  KEY_STATES,
  type KeyRecord,
  type KeyState,
  type SealedVersion,
} from "../domain/records.ts";
import type { PolicyVersionRecord } from "../domain/policies.ts";

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const KEY_STATE_NAMES: readonly string[] = KEY_STATES;
const APPROVAL_STATE_NAMES: readonly string[] = APPROVAL_STATES;
const USAGES: readonly string[] = USAGE_NAMES;
const APPROVABLE_ACTION_NAMES: readonly string[] = APPROVABLE_ACTIONS;
const ORIGINS: readonly string[] = KEY_ORIGINS;

/** Largest version number a store accepts (file names carry 8 digits). */
export const MAX_VERSION = 99_999_999;

/** True when `id` is a safe record id (`[A-Za-z0-9_-]{1,64}`), usable as a path segment. */
export function isSafeId(id: unknown): id is string {
  return typeof id === "string" && SAFE_ID.test(id);
}

/** True when `version` is an integer in 1..MAX_VERSION. */
export function isValidVersion(version: unknown): version is number {
  return Number.isSafeInteger(version) && (version as number) >= 1 &&
    (version as number) <= MAX_VERSION;
}

/** Throws TypeError unless `id` is a safe record id. */
export function assertSafeId(id: unknown): asserts id is string {
  if (!isSafeId(id)) throw new TypeError("Record id must match [A-Za-z0-9_-]{1,64}");
}

/** Describes why `value` is not a well-formed KeyRecord, or undefined when it is. */
export function keyRecordProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "record is not an object";
  const r = value as Record<string, unknown>;
  if (!isSafeId(r.id)) return "id is not a safe id";
  if (typeof r.name !== "string") return "name is not a string";
  if (typeof r.algorithm !== "string" || !isAlgorithm(r.algorithm)) return "unknown algorithm";
  if (!isUsageList(r.usage)) return "usage is not a list of usages";
  if (!isStringMap(r.tags)) return "tags is not a string map";
  if (typeof r.state !== "string" || !KEY_STATE_NAMES.includes(r.state)) return "unknown state";
  if (!isValidVersion(r.currentVersion)) return "currentVersion is out of range";
  if (typeof r.dualControl !== "boolean") return "dualControl is not a boolean";
  if (typeof r.createdAt !== "string" || typeof r.updatedAt !== "string") {
    return "timestamps are not strings";
  }
  if (!isPositiveInt(r.revision)) return "revision is not a positive integer";
  if (typeof r.mac !== "string") return "mac is not a string";
  if (r.origin !== undefined && !ORIGINS.includes(r.origin as string)) return "unknown origin";
  if (r.rotationPeriod !== undefined && typeof r.rotationPeriod !== "string") {
    return "rotationPeriod is not a string";
  }
  if (r.minDecryptionVersion !== undefined && !isValidVersion(r.minDecryptionVersion)) {
    return "minDecryptionVersion is out of range";
  }
  if (r.retentionClass !== undefined && !isRetentionClassName(r.retentionClass)) {
    return "retentionClass is not a class name";
  }
  return undefined;
}

/** True for a retention class name (`[A-Za-z0-9_.-]{1,64}`). */
export function isRetentionClassName(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(value);
}

/** Describes why `value` is not a well-formed SealedVersion, or undefined when it is. */
export function sealedVersionProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "version is not an object";
  const v = value as Record<string, unknown>;
  if (!isSafeId(v.keyId)) return "keyId is not a safe id";
  if (!isValidVersion(v.version)) return "version is out of range";
  if (typeof v.algorithm !== "string" || !isAlgorithm(v.algorithm)) return "unknown algorithm";
  if (!isUsageList(v.usage)) return "usage is not a list of usages";
  if (typeof v.createdAt !== "string") return "createdAt is not a string";
  if (v.sourceVersion !== undefined && !isValidVersion(v.sourceVersion)) {
    return "sourceVersion is out of range";
  }
  for (const f of ["nonce", "ciphertext", "mac"] as const) {
    if (!(v[f] instanceof Uint8Array)) return `${f} is not bytes`;
  }
  if (v.purgedAt !== undefined) {
    if (typeof v.purgedAt !== "string") return "purgedAt is not a string";
    // A purged version is a stub: no byte of its sealed material is kept.
    for (const f of ["nonce", "ciphertext", "mac"] as const) {
      if ((v[f] as Uint8Array).length !== 0) return `${f} of a purged version is not empty`;
    }
  }
  return undefined;
}

/** A purged version's metadata stub: the version's fields without any sealed byte. */
export function purgedStub(version: SealedVersion, purgedAt: string): SealedVersion {
  return {
    keyId: version.keyId,
    version: version.version,
    algorithm: version.algorithm,
    usage: [...version.usage],
    createdAt: version.createdAt,
    ...(version.sourceVersion === undefined ? {} : { sourceVersion: version.sourceVersion }),
    purgedAt,
    nonce: new Uint8Array(0),
    ciphertext: new Uint8Array(0),
    mac: new Uint8Array(0),
  };
}

/** Describes why `value` is not a well-formed PolicyVersionRecord, or undefined when it is. */
export function policyVersionProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "policy is not an object";
  const p = value as Record<string, unknown>;
  if (!isSafeId(p.id)) return "id is not a safe id";
  if (!isValidVersion(p.version)) return "version is out of range";
  if (typeof p.name !== "string") return "name is not a string";
  if (typeof p.script !== "string") return "script is not a string";
  if (typeof p.digest !== "string" || !/^[0-9a-f]{64}$/.test(p.digest)) {
    return "digest is not a SHA-256 hex digest";
  }
  if (!isObject(p.scope)) return "scope is not an object";
  if (typeof p.deleted !== "boolean") return "deleted is not a boolean";
  if (typeof p.createdAt !== "string" || typeof p.updatedAt !== "string") {
    return "timestamps are not strings";
  }
  if (typeof p.author !== "string") return "author is not a string";
  if (p.approvalId !== null && !isSafeId(p.approvalId)) return "approvalId is not an id or null";
  if (typeof p.mac !== "string") return "mac is not a string";
  return undefined;
}

/** Throws TypeError when a policy version handed to a store is malformed. */
export function assertPolicyVersion(record: PolicyVersionRecord): void {
  const problem = policyVersionProblem(record);
  if (problem !== undefined) throw new TypeError(`Invalid policy version: ${problem}`);
}

/** A deep copy of a policy version; `scope` goes through JSON, as the stores keep it. */
export function copyPolicyVersion(record: PolicyVersionRecord): PolicyVersionRecord {
  return { ...record, scope: JSON.parse(JSON.stringify(record.scope)) };
}

/** Describes why `value` is not a well-formed ApprovalRecord, or undefined when it is. */
export function approvalRecordProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "approval is not an object";
  const a = value as Record<string, unknown>;
  if (!isSafeId(a.id)) return "id is not a safe id";
  if (typeof a.action !== "string" || !APPROVABLE_ACTION_NAMES.includes(a.action)) {
    return "unknown action";
  }
  if (a.keyId !== null && typeof a.keyId !== "string") return "keyId is not a string or null";
  if (typeof a.requestedBy !== "string") return "requestedBy is not a string";
  if (
    !Array.isArray(a.approvals) ||
    !a.approvals.every((x) =>
      isObject(x) && typeof x.actor === "string" && typeof x.at === "string"
    )
  ) return "approvals is not a list of {actor, at}";
  if (!isPositiveInt(a.quorum)) return "quorum is not a positive integer";
  if (typeof a.state !== "string" || !APPROVAL_STATE_NAMES.includes(a.state)) {
    return "unknown state";
  }
  if (typeof a.createdAt !== "string" || typeof a.expiresAt !== "string") {
    return "timestamps are not strings";
  }
  if (!isObject(a.params)) return "params is not an object";
  if (!isPositiveInt(a.revision)) return "revision is not a positive integer";
  if (typeof a.mac !== "string") return "mac is not a string";
  return undefined;
}

/** Throws TypeError when a record handed to a store is malformed (a programmer error). */
export function assertKeyRecord(record: KeyRecord): void {
  const problem = keyRecordProblem(record);
  if (problem !== undefined) throw new TypeError(`Invalid key record: ${problem}`);
}

/** Throws TypeError when a version handed to a store is malformed or names another key. */
export function assertSealedVersion(version: SealedVersion, keyId: string): void {
  const problem = sealedVersionProblem(version);
  if (problem !== undefined) throw new TypeError(`Invalid sealed version: ${problem}`);
  if (version.keyId !== keyId) throw new TypeError("Sealed version belongs to another key");
}

/** Throws TypeError unless every usage delta names a safe id, a version and a count ≥ 1. */
export function assertUsageDeltas(deltas: readonly UsageDelta[]): void {
  for (const d of deltas) {
    assertSafeId(d.keyId);
    if (!isValidVersion(d.version)) throw new TypeError("Usage delta version is out of range");
    if (!isPositiveInt(d.count)) throw new TypeError("Usage delta count must be positive");
  }
}

/** Throws TypeError when an approval handed to a store is malformed. */
export function assertApprovalRecord(record: ApprovalRecord): void {
  const problem = approvalRecordProblem(record);
  if (problem !== undefined) throw new TypeError(`Invalid approval record: ${problem}`);
}

/** The state of an approval as callers see it at `now` (a lapsed pending one is expired). */
export function effectiveApprovalState(record: ApprovalRecord, now: string): ApprovalState {
  return record.state === "pending" && record.expiresAt <= now ? "expired" : record.state;
}

/** A count of zero for every approval state. */
export function zeroCounts(): Record<ApprovalState, number> {
  return { pending: 0, approved: 0, denied: 0, executed: 0, expired: 0 };
}

/** Filters, orders and pages in-memory approvals for `ApprovalStore.list`; returns copies. */
export function pageApprovals(
  records: Iterable<ApprovalRecord>,
  query: ApprovalListQuery,
): ApprovalPage {
  assertPaging(query);
  const matching: ApprovalRecord[] = [];
  for (const r of records) {
    if (query.state !== undefined && effectiveApprovalState(r, query.now) !== query.state) continue;
    if (query.action !== undefined && r.action !== query.action) continue;
    if (query.keyId !== undefined && r.keyId !== query.keyId) continue;
    matching.push(r);
  }
  matching.sort(compareByCreation);
  const items = matching.slice(query.offset, query.offset + query.limit).map(copyApprovalRecord);
  return { items, total: matching.length };
}

/** Throws RangeError unless offset and limit are non-negative integers. */
export function assertPaging(query: { readonly offset: number; readonly limit: number }): void {
  if (!Number.isSafeInteger(query.offset) || query.offset < 0) {
    throw new RangeError("List offset must be a non-negative integer");
  }
  if (!Number.isSafeInteger(query.limit) || query.limit < 0) {
    throw new RangeError("List limit must be a non-negative integer");
  }
}

/**
 * Throws RangeError unless offset and limit are non-negative integers and a cursor, when
 * given, is one of `after`/`before` with offset 0; TypeError for a malformed cursor.
 */
export function assertListQuery(query: KeyListQuery): void {
  assertPaging(query);
  if (query.total !== undefined && !(Number.isSafeInteger(query.total) && query.total >= 0)) {
    throw new RangeError("List total must be a non-negative integer");
  }
  const cursor = query.after ?? query.before;
  if (cursor === undefined) return;
  if (query.after !== undefined && query.before !== undefined) {
    throw new RangeError("List takes one cursor: after or before");
  }
  if (query.offset !== 0) throw new RangeError("List offset must be 0 with a cursor");
  if (typeof cursor.createdAt !== "string" || typeof cursor.id !== "string") {
    throw new TypeError("List cursor needs createdAt and id strings");
  }
}

/**
 * For an offset page whose total is known and which lies nearer the end than the start,
 * the offset and limit that read it backwards from the end (newest first; the caller
 * reverses the rows), so reaching the last pages costs as little as the first ones.
 */
export function backwardSpan(query: KeyListQuery): { offset: number; limit: number } | undefined {
  const known = query.total;
  if (known === undefined || query.after !== undefined || query.before !== undefined) {
    return undefined;
  }
  // Rows stepped over forwards: offset + limit; backwards: known - offset.
  if (known - query.offset >= query.offset + query.limit) return undefined;
  if (query.offset >= known) return { offset: 0, limit: 0 };
  return {
    offset: Math.max(0, known - query.offset - query.limit),
    limit: Math.min(query.limit, known - query.offset),
  };
}

/** `text` with ASCII letters lowercased (the case folding every adapter's name search uses). */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** A deep copy of a key record that shares nothing with the input. */
export function copyKeyRecord(record: KeyRecord): KeyRecord {
  return { ...record, usage: [...record.usage], tags: { ...record.tags } };
}

/** A deep copy of a sealed version; byte fields are fresh plain Uint8Arrays. */
export function copySealedVersion(version: SealedVersion): SealedVersion {
  return {
    ...version,
    usage: [...version.usage],
    nonce: new Uint8Array(version.nonce),
    ciphertext: new Uint8Array(version.ciphertext),
    mac: new Uint8Array(version.mac),
  };
}

/** A deep copy of an approval; `params` goes through JSON, as the SQLite store stores it. */
export function copyApprovalRecord(record: ApprovalRecord): ApprovalRecord {
  return {
    ...record,
    approvals: record.approvals.map((a) => ({ actor: a.actor, at: a.at })),
    params: JSON.parse(JSON.stringify(record.params)),
  };
}

/** Orders records by creation time, then id (plain code-unit order, not locale). */
export function compareByCreation(
  a: { readonly createdAt: string; readonly id: string },
  b: { readonly createdAt: string; readonly id: string },
): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Pages up to this size are selected without sorting every matching record. */
const BOUNDED_WINDOW = 1024;

/**
 * Filters, orders and pages in-memory records for `KeyStore.list`; returns copies. A
 * page of a cursor or a shallow offset keeps only the records it needs while scanning
 * (no sort of the whole set), so its cost grows with the matching count only linearly.
 */
export function pageKeyRecords(records: Iterable<KeyRecord>, query: KeyListQuery): KeyListPage {
  const needle = query.nameContains === undefined ? undefined : asciiLower(query.nameContains);
  const fromEnd = query.before !== undefined;
  const window = query.offset + query.limit;
  const bounded = window <= BOUNDED_WINDOW;
  const kept: KeyRecord[] = [];
  let total = 0;
  for (const r of records) {
    if (query.algorithm !== undefined && r.algorithm !== query.algorithm) continue;
    if (query.state !== undefined && r.state !== query.state) continue;
    if (query.tag !== undefined && !hasTag(r, query.tag.key, query.tag.value)) continue;
    if (needle !== undefined && !asciiLower(r.name).includes(needle)) continue;
    total++;
    if (query.after !== undefined && compareByCreation(r, query.after) <= 0) continue;
    if (query.before !== undefined && compareByCreation(r, query.before) >= 0) continue;
    if (bounded) keepBounded(kept, r, window, fromEnd);
    else kept.push(r);
  }
  if (!bounded) kept.sort(compareByCreation);
  const page = fromEnd
    ? kept.slice(Math.max(0, kept.length - query.limit))
    : kept.slice(query.offset, window);
  return { items: page.map(copyKeyRecord), total };
}

/**
 * Inserts `r` into the sorted `kept`, then trims it to `max` records: the smallest ones,
 * or the largest ones when `largest` is set.
 */
function keepBounded(kept: KeyRecord[], r: KeyRecord, max: number, largest: boolean): void {
  if (max === 0) return;
  if (kept.length === max) {
    const edge = largest ? kept[0] : kept[max - 1];
    if (edge !== undefined && compareByCreation(r, edge) * (largest ? 1 : -1) <= 0) return;
  }
  let lo = 0;
  let hi = kept.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareByCreation(kept[mid] as KeyRecord, r) < 0) lo = mid + 1;
    else hi = mid;
  }
  kept.splice(lo, 0, r);
  if (kept.length > max) {
    if (largest) kept.shift();
    else kept.pop();
  }
}

/** True for a key state name. */
export function isKeyState(value: string): value is KeyState {
  return KEY_STATE_NAMES.includes(value);
}

/** True for an approval state name. */
export function isApprovalState(value: string): value is ApprovalState {
  return APPROVAL_STATE_NAMES.includes(value);
}

function hasTag(record: KeyRecord, key: string, value: string): boolean {
  return Object.hasOwn(record.tags, key) && record.tags[key] === value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPositiveInt(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}

function isUsageList(value: unknown): value is Usage[] {
  return Array.isArray(value) && value.every((u) => typeof u === "string" && USAGES.includes(u));
}

function isStringMap(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((v) => typeof v === "string");
}

/**
 * Checks that `next` is the write that follows `stored` (revision + 1).
 * @throws HsmError("not_found") when nothing is stored, ("conflict") on a stale revision
 */
export function assertNextRevision<T extends { readonly revision: number }>(
  stored: T | undefined,
  next: { readonly revision: number },
  what: string,
): T {
  if (stored === undefined) {
    throw new HsmError("not_found", `Cannot ${what}: it does not exist`);
  }
  if (next.revision !== stored.revision + 1) {
    throw new HsmError(
      "conflict",
      `Cannot ${what}: revision ${next.revision} does not follow stored revision ${stored.revision}`,
    );
  }
  return stored;
}
