/**
 * The PostgreSQL schema of every PostgreSQL-backed store, as drizzle `pg-core` table
 * constants. `deno task db:generate:pg` turns this file into the SQL under
 * `migrations/postgres/`, which `openPostgres` applies at start-up (one node at a time,
 * under an advisory lock). SQL names are snake_case, fields camelCase.
 *
 * Text that is ordered or compared (ids, timestamps) uses the "C" collation, so the
 * database orders exactly as the other adapters do (code-unit order), whatever the
 * cluster's locale. Beyond the SQLite schema: the audit chain has a head row (the
 * shared anchor), unique `prev_hash` (no fork), the node that appended each entry
 * (bookkeeping outside the chain); approvals have one row per vote (no duplicate vote);
 * nodes register in a heartbeat table; strict rate limits keep their buckets here; and
 * what a single node keeps in its data dir is shared here instead (the audit archive
 * and its base, the retention ledger, the sealed retention attestation key).
 */

import {
  bigint,
  boolean,
  customType,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";

/** Text compared byte-wise (collation "C"). */
const ctext = customType<{ data: string; driverData: string }>({
  dataType: () => 'text COLLATE "C"',
});

/** Bytes (`bytea`), as a Uint8Array. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
});

/** Key metadata; one row per key, replaced under optimistic concurrency (`revision`). */
export const keys = pgTable("keys", {
  id: ctext("id").primaryKey(),
  name: text("name").notNull(),
  algorithm: text("algorithm").notNull(),
  usage: text("usage").notNull(),
  tags: text("tags").notNull(),
  state: text("state").notNull(),
  currentVersion: integer("current_version").notNull(),
  dualControl: boolean("dual_control").notNull(),
  createdAt: ctext("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
  revision: integer("revision").notNull(),
  mac: text("mac").notNull(),
  /** `imported` for BYOK keys; null means generated. */
  origin: text("origin"),
  /** ISO 8601 duration of the rotation schedule, or null. */
  rotationPeriod: text("rotation_period"),
  /** Oldest version allowed to decrypt, or null (every version). */
  minDecryptionVersion: integer("min_decryption_version"),
  /** The retention class; null for the default class. */
  retentionClass: text("retention_class"),
}, (t) => [
  index("keys_created_idx").on(t.createdAt, t.id),
  index("keys_algorithm_idx").on(t.algorithm, t.createdAt),
  index("keys_state_idx").on(t.state, t.createdAt),
]);

/** Tag index: one row per (key, tag) so `tag=k:v` filters use an index, not a scan. */
export const keyTags = pgTable("key_tags", {
  keyId: ctext("key_id").notNull().references(() => keys.id),
  tagKey: text("tag_key").notNull(),
  tagValue: text("tag_value").notNull(),
}, (t) => [
  primaryKey({ columns: [t.keyId, t.tagKey] }),
  index("key_tags_lookup_idx").on(t.tagKey, t.tagValue),
]);

/** Immutable sealed key versions. */
export const keyVersions = pgTable("key_versions", {
  keyId: ctext("key_id").notNull().references(() => keys.id),
  version: integer("version").notNull(),
  algorithm: text("algorithm").notNull(),
  usage: text("usage").notNull(),
  createdAt: text("created_at").notNull(),
  sourceVersion: integer("source_version"),
  nonce: bytea("nonce").notNull(),
  ciphertext: bytea("ciphertext").notNull(),
  mac: bytea("mac").notNull(),
  /** When retention purged the version: the row is then a stub with empty byte fields. */
  purgedAt: text("purged_at"),
}, (t) => [primaryKey({ columns: [t.keyId, t.version] })]);

/** Policy scripts: one immutable row per version; the highest version is in force. */
export const policyVersions = pgTable("policy_versions", {
  id: ctext("id").notNull(),
  version: integer("version").notNull(),
  name: text("name").notNull(),
  script: text("script").notNull(),
  digest: text("digest").notNull(),
  /** The scope as JSON. */
  scope: text("scope").notNull(),
  deleted: boolean("deleted").notNull(),
  createdAt: ctext("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
  author: text("author").notNull(),
  approvalId: text("approval_id"),
  /** HMAC-SHA-384 over every other field (base64). */
  mac: text("mac").notNull(),
}, (t) => [
  primaryKey({ columns: [t.id, t.version] }),
  index("policy_versions_created_idx").on(t.createdAt, t.id),
]);

/**
 * The hash-chained audit log; `seq` is the chain position. `prev_hash` is unique: two
 * batches chained after the same head cannot both commit (no fork). `node_id` names the
 * node that appended the entry; it is not part of the chain (used to reconcile the
 * writes of a node that died between an entry and its store write).
 */
export const auditEntries = pgTable("audit_entries", {
  seq: bigint("seq", { mode: "number" }).primaryKey(),
  ts: text("ts").notNull(),
  actor: text("actor").notNull(),
  action: text("action").notNull(),
  keyId: text("key_id"),
  result: text("result").notNull(),
  payloadHash: text("payload_hash").notNull(),
  prevHash: text("prev_hash").notNull(),
  mac: text("mac").notNull(),
  /** Record commits this entry journals (`kind:id@revision:digest`, space separated). */
  records: text("records"),
  nodeId: text("node_id"),
  /** The request id of the operation (X-Request-Id), part of the chained entry. */
  requestId: text("request_id"),
}, (t) => [
  uniqueIndex("audit_entries_prev_hash_idx").on(t.prevHash),
  index("audit_entries_node_idx").on(t.nodeId, t.seq).where(sql`${t.records} is not null`),
]);

/**
 * The chain head: one row (id 1) holding the last entry's seq and hash and the anchor MAC
 * over them. Every batch locks it (`FOR UPDATE`), chains after it and moves it in the
 * same transaction. An empty `mac` means "no anchor yet" (a new database).
 */
export const auditHead = pgTable("audit_head", {
  id: smallint("id").primaryKey(),
  seq: bigint("seq", { mode: "number" }).notNull(),
  hash: text("hash").notNull(),
  mac: text("mac").notNull(),
});

/** Operation counters per key version, shared by every node (informational). */
export const keyUsage = pgTable("key_usage", {
  keyId: ctext("key_id").notNull(),
  version: integer("version").notNull(),
  operations: bigint("operations", { mode: "number" }).notNull(),
}, (t) => [primaryKey({ columns: [t.keyId, t.version] })]);

/** Dual-control approval requests. */
export const approvals = pgTable("approvals", {
  id: ctext("id").primaryKey(),
  action: text("action").notNull(),
  keyId: text("key_id"),
  requestedBy: text("requested_by").notNull(),
  approvals: text("approvals").notNull(),
  quorum: integer("quorum").notNull(),
  state: text("state").notNull(),
  createdAt: ctext("created_at").notNull(),
  expiresAt: ctext("expires_at").notNull(),
  params: text("params").notNull(),
  revision: integer("revision").notNull(),
  /** HMAC-SHA-384 over every other field (base64). */
  mac: text("mac").notNull(),
}, (t) => [
  index("approvals_state_idx").on(t.state, t.createdAt),
  index("approvals_key_idx").on(t.keyId, t.createdAt),
]);

/** One row per vote: the primary key makes a second vote by the same actor impossible. */
export const approvalVotes = pgTable("approval_votes", {
  approvalId: ctext("approval_id").notNull().references(() => approvals.id),
  actor: text("actor").notNull(),
  at: text("at").notNull(),
}, (t) => [primaryKey({ columns: [t.approvalId, t.actor] })]);

/** Live nodes: each beats every few seconds; a clean stop deletes its row. */
export const clusterNodes = pgTable("cluster_nodes", {
  nodeId: text("node_id").primaryKey(),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
  lastSeen: timestamp("last_seen", { withTimezone: true }).notNull(),
  /** The chain head when the node registered: its entries all come after it. */
  startSeq: bigint("start_seq", { mode: "number" }).notNull(),
});

/** Token buckets of the strict, cluster-wide rate limits (destroy, import). */
export const rateBuckets = pgTable("rate_buckets", {
  key: text("key").primaryKey(),
  tokens: doublePrecision("tokens").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
});

/**
 * Archived audit segments (immutable): the entries of seqs `first_seq..last_seq` as
 * JSON lines, exactly as the log held them. Shared by every node, like the live log.
 */
export const auditArchiveSegments = pgTable("audit_archive_segments", {
  name: ctext("name").primaryKey(),
  firstSeq: bigint("first_seq", { mode: "number" }).notNull(),
  lastSeq: bigint("last_seq", { mode: "number" }).notNull(),
  entries: text("entries").notNull(),
});

/** The MAC'd base of the live log (one row, id 1; JSON of `AuditBase`). */
export const auditArchiveBase = pgTable("audit_archive_base", {
  id: smallint("id").primaryKey(),
  body: text("body").notNull(),
});

/** The retention ledger: signed, hash-chained destruction receipts, one line per row. */
export const retentionLedger = pgTable("retention_ledger", {
  position: bigint("position", { mode: "number" }).primaryKey(),
  line: text("line").notNull(),
});

/**
 * Keys the service itself holds, sealed like key versions (JSON with base64 byte fields):
 * the retention attestation key, generated once by whichever node starts first.
 */
export const serviceKeys = pgTable("service_keys", {
  id: ctext("id").primaryKey(),
  sealed: text("sealed").notNull(),
});
