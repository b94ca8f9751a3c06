/**
 * KeyStore on PostgreSQL through drizzle. Every write is one transaction: the
 * `UPDATE keys ... WHERE id = ? AND revision = new - 1 RETURNING id` moves the record
 * (a lost race updates nothing and the transaction rolls back as a `conflict`), then the
 * version insert, the tag rewrite and a `NOTIFY` that tells the other nodes to drop
 * their cached copy; PostgreSQL delivers the notification only if the transaction
 * commits. `key_tags` mirrors the record's tags for indexed `tag=k:v` filters.
 *
 * Security caveat: destroyed versions are deleted with `DELETE`, and a purge (retention)
 * replaces a version's byte fields with empty ones; either way PostgreSQL keeps the old
 * bytes in dead tuples until VACUUM reuses the space, and in WAL segments, base backups
 * and replicas until they are recycled (see docs/scale-out.md).
 */

import { and, asc, count, desc, eq, exists, isNull, sql } from "drizzle-orm";
import { HsmError } from "../../domain/errors.ts";
import type { KeyRecord, SealedVersion } from "../../domain/records.ts";
import type { KeyListPage, KeyListQuery, KeyStore } from "../ports.ts";
import {
  asciiLower,
  assertKeyRecord,
  assertListQuery,
  assertSafeId,
  assertSealedVersion,
  backwardSpan,
  isSafeId,
  isValidVersion,
  keyRecordProblem,
  purgedStub,
  sealedVersionProblem,
} from "../records.ts";
import { wipe } from "../../core/zeroize.ts";
import { notifyChange, type PgExecutor } from "./change_feed.ts";
import { isUniqueViolation } from "./constraint.ts";
import type { PostgresDatabase } from "./database.ts";
import { keys, keyTags, keyVersions } from "./schema.ts";

/** Options for `PostgresKeyStore`. */
export interface PostgresKeyStoreOptions {
  /** When true, `close()` also closes the database. Default false (the caller owns it). */
  readonly ownsDatabase?: boolean;
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";

/** A KeyStore over the `keys`, `key_versions` and `key_tags` tables. */
export class PostgresKeyStore implements KeyStore {
  readonly #database: PostgresDatabase;
  readonly #ownsDatabase: boolean;
  #closed = false;

  /** Wraps an open database; it is closed by `close()` only when `ownsDatabase` is set. */
  constructor(database: PostgresDatabase, options: PostgresKeyStoreOptions = {}) {
    this.#database = database;
    this.#ownsDatabase = options.ownsDatabase ?? false;
  }

  /** Creates a key with its first version. @throws HsmError("conflict") when the id exists. */
  async create(record: KeyRecord, first: SealedVersion): Promise<void> {
    assertSafeId(record.id);
    assertKeyRecord(record);
    assertSealedVersion(first, record.id);
    const db = this.#db();
    try {
      await db.transaction(async (tx) => {
        await tx.insert(keys).values({ id: record.id, ...keyColumns(record) });
        await insertTags(tx, record);
        await tx.insert(keyVersions).values(versionColumns(first));
        await this.#notify(tx, record.id);
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new HsmError("conflict", "Cannot create key: the id already exists", { cause: err });
      }
      throw err;
    }
  }

  /** The key record, or undefined. @throws HsmError("integrity_error") for a malformed row */
  async get(id: string): Promise<KeyRecord | undefined> {
    const db = this.#db();
    if (!isSafeId(id)) return undefined;
    const rows = await db.select().from(keys).where(eq(keys.id, id)).limit(1);
    return rows[0] && decodeKeyRow(rows[0]);
  }

  /** Lists keys matching the filters by creation time then id, with the matching total. */
  async list(query: KeyListQuery): Promise<KeyListPage> {
    assertListQuery(query);
    const db = this.#db();
    const tag = query.tag;
    const filter = and(
      query.algorithm === undefined ? undefined : eq(keys.algorithm, query.algorithm),
      query.state === undefined ? undefined : eq(keys.state, query.state),
      tag === undefined ? undefined : exists(
        db.select({ one: sql`1` }).from(keyTags).where(and(
          eq(keyTags.keyId, keys.id),
          eq(keyTags.tagKey, tag.key),
          eq(keyTags.tagValue, tag.value),
        )),
      ),
      // translate() folds ASCII letters only, as asciiLower() does for the other adapters
      // (lower() would fold other letters too, depending on the locale).
      query.nameContains === undefined
        ? undefined
        : sql`strpos(translate(${keys.name}, ${UPPER}, ${LOWER}), ${
          asciiLower(query.nameContains)
        }) > 0`,
    );
    const { after, before } = query;
    const position = after !== undefined
      ? sql`(${keys.createdAt}, ${keys.id}) > (${after.createdAt}, ${after.id})`
      : before !== undefined
      ? sql`(${keys.createdAt}, ${keys.id}) < (${before.createdAt}, ${before.id})`
      : undefined;
    const known = query.total;
    const span = position === undefined ? backwardSpan(query) : undefined;
    const backwards = before !== undefined || span !== undefined;
    const order = backwards
      ? [desc(keys.createdAt), desc(keys.id)]
      : [asc(keys.createdAt), asc(keys.id)];
    if (span?.limit === 0) return { items: [], total: known ?? 0 };
    const limit = span?.limit ?? query.limit;
    const offset = span?.offset ?? query.offset;
    let rows: (typeof keys.$inferSelect)[];
    let total: number;
    if (known !== undefined) {
      // The caller knows the total (no key write seen since it was counted): no COUNT(*).
      rows = await db.select().from(keys).where(and(filter, position)).orderBy(...order)
        .limit(limit).offset(offset);
      total = known;
    } else {
      // One repeatable-read transaction: the page and the total see the same snapshot.
      const [found, totals] = await db.transaction(async (tx) =>
        await Promise.all([
          tx.select().from(keys).where(and(filter, position)).orderBy(...order)
            .limit(limit).offset(offset),
          tx.select({ total: count() }).from(keys).where(filter),
        ]), { isolationLevel: "repeatable read", accessMode: "read only" });
      [rows, total] = [found, totals[0]?.total ?? 0];
    }
    const items = rows.map(decodeKeyRow);
    if (backwards) items.reverse();
    return { items, total };
  }

  /**
   * Replaces the record and optionally adds a version, atomically.
   * @throws HsmError("conflict") on a stale revision or an existing version
   * @throws HsmError("not_found") when the key does not exist
   */
  async update(record: KeyRecord, newVersion?: SealedVersion): Promise<void> {
    assertKeyRecord(record);
    if (newVersion !== undefined) assertSealedVersion(newVersion, record.id);
    await this.#replace(record, "update", async (tx) => {
      if (newVersion === undefined) return;
      try {
        await tx.insert(keyVersions).values(versionColumns(newVersion));
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        throw new HsmError("conflict", `Cannot add version ${newVersion.version}: it exists`, {
          cause: err,
        });
      }
    });
  }

  /** One sealed version, or undefined. @throws HsmError("integrity_error") for a malformed row */
  async getVersion(id: string, version: number): Promise<SealedVersion | undefined> {
    const db = this.#db();
    if (!isSafeId(id) || !isValidVersion(version)) return undefined;
    const rows = await db.select().from(keyVersions)
      .where(and(eq(keyVersions.keyId, id), eq(keyVersions.version, version))).limit(1);
    return rows[0] && decodeVersionRow(rows[0]);
  }

  /** Every sealed version of a key, ascending. */
  async listVersions(id: string): Promise<SealedVersion[]> {
    const db = this.#db();
    if (!isSafeId(id)) return [];
    const rows = await db.select().from(keyVersions).where(eq(keyVersions.keyId, id))
      .orderBy(asc(keyVersions.version));
    return rows.map(decodeVersionRow);
  }

  /**
   * Stores the destroyed record (state must be `destroyed`) and deletes every version in
   * one transaction. @throws HsmError("conflict" | "not_found") as `update`
   */
  async destroy(record: KeyRecord): Promise<void> {
    assertKeyRecord(record);
    if (record.state !== "destroyed") {
      throw new TypeError("Destroy needs a record in state destroyed");
    }
    await this.#replace(record, "destroy", async (tx) => {
      await tx.delete(keyVersions).where(eq(keyVersions.keyId, record.id));
    });
  }

  /**
   * Replaces the version's row by its metadata stub (empty byte fields, `purged_at` set)
   * and tells the other nodes to drop the key, in one transaction. A purged version stays
   * purged (no-op, false): of nodes racing to purge one version, one gets true.
   * @throws HsmError("not_found") when the version does not exist
   */
  async purgeVersion(id: string, version: number, purgedAt: string): Promise<boolean> {
    const db = this.#db();
    const stored = await this.getVersion(id, version);
    if (stored === undefined) {
      throw new HsmError("not_found", `Cannot purge version ${version} of key ${id}: not found`);
    }
    if (stored.purgedAt !== undefined) return false;
    const stub = purgedStub(stored, purgedAt);
    wipe(stored.nonce, stored.ciphertext, stored.mac);
    return await db.transaction(async (tx) => {
      const purged = await tx.update(keyVersions).set({
        nonce: stub.nonce,
        ciphertext: stub.ciphertext,
        mac: stub.mac,
        purgedAt,
      }).where(and(
        eq(keyVersions.keyId, id),
        eq(keyVersions.version, version),
        isNull(keyVersions.purgedAt),
      )).returning({ version: keyVersions.version });
      // Another node purged it between the read and this update: its purge, not ours.
      if (purged.length === 0) return false;
      await this.#notify(tx, id);
      return true;
    });
  }

  /** Stops the store; closes the database when it owns it. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closed && this.#ownsDatabase) await this.#database.close();
    this.#closed = true;
  }

  /**
   * Moves the record from its base revision (rolling back as `conflict` or `not_found`
   * when it is not there), runs `then`, rewrites the tags and notifies, in one transaction.
   */
  async #replace(
    record: KeyRecord,
    verb: string,
    then: (tx: PgExecutor) => Promise<void>,
  ): Promise<void> {
    const db = this.#db();
    await db.transaction(async (tx) => {
      const moved = await tx.update(keys).set(keyColumns(record))
        .where(and(eq(keys.id, record.id), eq(keys.revision, record.revision - 1)))
        .returning({ id: keys.id });
      if (moved.length !== 1) {
        const stored = await tx.select({ revision: keys.revision }).from(keys)
          .where(eq(keys.id, record.id)).limit(1);
        if (stored[0] === undefined) {
          throw new HsmError("not_found", `Cannot ${verb} key: it does not exist`);
        }
        throw new HsmError(
          "conflict",
          `Cannot ${verb} key: revision ${record.revision} does not follow stored revision ${
            stored[0].revision
          }`,
        );
      }
      await then(tx);
      await tx.delete(keyTags).where(eq(keyTags.keyId, record.id));
      await insertTags(tx, record);
      await this.#notify(tx, record.id);
    });
  }

  #notify(tx: PgExecutor, id: string): Promise<void> {
    return notifyChange(tx, this.#database.nodeId, "key", id);
  }

  #db(): PostgresDatabase["db"] {
    if (this.#closed) throw new HsmError("unavailable", "Key store is closed");
    return this.#database.db;
  }
}

async function insertTags(tx: PgExecutor, record: KeyRecord): Promise<void> {
  const tags = Object.entries(record.tags);
  if (tags.length === 0) return;
  await tx.insert(keyTags).values(
    tags.map(([tagKey, tagValue]) => ({ keyId: record.id, tagKey, tagValue })),
  );
}

function keyColumns(record: KeyRecord) {
  return {
    name: record.name,
    algorithm: record.algorithm,
    usage: JSON.stringify(record.usage),
    tags: JSON.stringify(record.tags),
    state: record.state,
    currentVersion: record.currentVersion,
    dualControl: record.dualControl,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    revision: record.revision,
    mac: record.mac,
    origin: record.origin === undefined || record.origin === "generated" ? null : record.origin,
    rotationPeriod: record.rotationPeriod ?? null,
    minDecryptionVersion: record.minDecryptionVersion ?? null,
    retentionClass: record.retentionClass ?? null,
  };
}

function versionColumns(v: SealedVersion) {
  return {
    keyId: v.keyId,
    version: v.version,
    algorithm: v.algorithm,
    usage: JSON.stringify(v.usage),
    createdAt: v.createdAt,
    sourceVersion: v.sourceVersion ?? null,
    nonce: new Uint8Array(v.nonce),
    ciphertext: new Uint8Array(v.ciphertext),
    mac: new Uint8Array(v.mac),
    purgedAt: v.purgedAt ?? null,
  };
}

function decodeKeyRow(row: typeof keys.$inferSelect): KeyRecord {
  const { origin, rotationPeriod, minDecryptionVersion, retentionClass, ...rest } = row;
  const candidate = {
    ...rest,
    usage: parseJson(row.usage),
    tags: parseJson(row.tags),
    ...(origin === null ? {} : { origin }),
    ...(rotationPeriod === null ? {} : { rotationPeriod }),
    ...(minDecryptionVersion === null ? {} : { minDecryptionVersion }),
    ...(retentionClass === null ? {} : { retentionClass }),
  };
  const problem = keyRecordProblem(candidate);
  if (problem !== undefined) {
    throw new HsmError("integrity_error", `Cannot read key ${row.id}: ${problem}`);
  }
  return candidate as KeyRecord;
}

function decodeVersionRow(row: typeof keyVersions.$inferSelect): SealedVersion {
  const candidate = {
    keyId: row.keyId,
    version: row.version,
    algorithm: row.algorithm,
    usage: parseJson(row.usage),
    createdAt: row.createdAt,
    ...(row.sourceVersion === null ? {} : { sourceVersion: row.sourceVersion }),
    ...(row.purgedAt === null ? {} : { purgedAt: row.purgedAt }),
    nonce: toBytes(row.nonce),
    ciphertext: toBytes(row.ciphertext),
    mac: toBytes(row.mac),
  };
  const problem = sealedVersionProblem(candidate);
  if (problem !== undefined) {
    throw new HsmError(
      "integrity_error",
      `Cannot read version ${row.version} of key ${row.keyId}: ${problem}`,
    );
  }
  return candidate as SealedVersion;
}

/** Parses a JSON column; malformed text becomes undefined, which the shape check rejects. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A plain Uint8Array copy of a bytea value (the driver hands back a Buffer). */
function toBytes(value: unknown): Uint8Array | undefined {
  return value instanceof Uint8Array ? new Uint8Array(value) : undefined;
}
