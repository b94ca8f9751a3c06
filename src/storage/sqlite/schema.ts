/**
 * The libSQL schema for every SQLite-backed store, as drizzle table constants.
 * `drizzle-kit generate` turns this file into the SQL under `migrations/`, which
 * `openDatabase` applies at start-up. SQL names are snake_case, fields camelCase.
 */

import { blob, index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Key metadata; one row per key, replaced under optimistic concurrency (`revision`). */
export const keys = sqliteTable("keys", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  algorithm: text("algorithm").notNull(),
  usage: text("usage").notNull(),
  tags: text("tags").notNull(),
  state: text("state").notNull(),
  currentVersion: integer("current_version").notNull(),
  dualControl: integer("dual_control", { mode: "boolean" }).notNull(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
  revision: integer("revision").notNull(),
  mac: text("mac").notNull(),
  /** `imported` for BYOK keys; null means generated. */
  origin: text("origin"),
  /** ISO 8601 rotation period; null when the key has none. */
  rotationPeriod: text("rotation_period"),
  /** Versions below it are retired for consuming operations; null means 1. */
  minDecryptionVersion: integer("min_decryption_version"),
  /** The retention class; null for the default class. */
  retentionClass: text("retention_class"),
}, (t) => [
  index("keys_created_idx").on(t.createdAt, t.id),
  index("keys_algorithm_idx").on(t.algorithm, t.createdAt),
  index("keys_state_idx").on(t.state, t.createdAt),
]);

/** Tag index: one row per (key, tag) so `tag=k:v` filters use an index, not a scan. */
export const keyTags = sqliteTable("key_tags", {
  keyId: text("key_id").notNull().references(() => keys.id),
  tagKey: text("tag_key").notNull(),
  tagValue: text("tag_value").notNull(),
}, (t) => [
  primaryKey({ columns: [t.keyId, t.tagKey] }),
  index("key_tags_lookup_idx").on(t.tagKey, t.tagValue),
]);

/** Operations per key version (usage counters), added to by periodic flushes. */
export const keyUsage = sqliteTable("key_usage", {
  keyId: text("key_id").notNull(),
  version: integer("version").notNull(),
  operations: integer("operations").notNull(),
}, (t) => [primaryKey({ columns: [t.keyId, t.version] })]);

/** Immutable sealed key versions. */
export const keyVersions = sqliteTable("key_versions", {
  keyId: text("key_id").notNull().references(() => keys.id),
  version: integer("version").notNull(),
  algorithm: text("algorithm").notNull(),
  usage: text("usage").notNull(),
  createdAt: text("created_at").notNull(),
  sourceVersion: integer("source_version"),
  nonce: blob("nonce", { mode: "buffer" }).notNull(),
  ciphertext: blob("ciphertext", { mode: "buffer" }).notNull(),
  mac: blob("mac", { mode: "buffer" }).notNull(),
  /** When retention purged the version: the row is then a stub with empty blobs. */
  purgedAt: text("purged_at"),
}, (t) => [primaryKey({ columns: [t.keyId, t.version] })]);

/** Policy scripts: one immutable row per version; the highest version is in force. */
export const policyVersions = sqliteTable("policy_versions", {
  id: text("id").notNull(),
  version: integer("version").notNull(),
  name: text("name").notNull(),
  script: text("script").notNull(),
  digest: text("digest").notNull(),
  /** The scope as JSON. */
  scope: text("scope").notNull(),
  deleted: integer("deleted", { mode: "boolean" }).notNull(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
  author: text("author").notNull(),
  approvalId: text("approval_id"),
  /** HMAC-SHA-384 over every other field (base64). */
  mac: text("mac").notNull(),
}, (t) => [
  primaryKey({ columns: [t.id, t.version] }),
  index("policy_versions_created_idx").on(t.createdAt, t.id),
]);

/** The hash-chained audit log; `seq` is the chain position. */
export const auditEntries = sqliteTable("audit_entries", {
  seq: integer("seq").primaryKey(),
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
  /** The HTTP request's `X-Request-Id`, on entries written for a request. */
  requestId: text("request_id"),
});

/** Dual-control approval requests. */
export const approvals = sqliteTable("approvals", {
  id: text("id").primaryKey(),
  action: text("action").notNull(),
  keyId: text("key_id"),
  requestedBy: text("requested_by").notNull(),
  approvals: text("approvals").notNull(),
  quorum: integer("quorum").notNull(),
  state: text("state").notNull(),
  createdAt: text("created_at").notNull(),
  expiresAt: text("expires_at").notNull(),
  params: text("params").notNull(),
  revision: integer("revision").notNull(),
  /** HMAC-SHA-384 over every other field (base64). */
  mac: text("mac").notNull().default(""),
}, (t) => [
  index("approvals_state_idx").on(t.state, t.createdAt),
  index("approvals_key_idx").on(t.keyId, t.createdAt),
]);
