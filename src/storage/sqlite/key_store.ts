/**
 * KeyStore on libSQL through drizzle. Every write is one `batch()` (one implicit
 * transaction, one fsync under `synchronous=FULL`); the client has a single connection,
 * so no interactive transaction is ever held open. Creations arriving while one is being
 * committed are group-committed together (one fsync for many new keys); with a writer
 * thread (`writer`), that commit runs on the thread's own connection, so its fsync no
 * longer blocks the event loop (libSQL executes statements synchronously).
 *
 * Optimistic concurrency inside one batch: every statement is guarded by "the key is
 * still at the base revision" (`revision = new - 1`), the version insert and tag rewrite
 * first, the `UPDATE keys ... WHERE revision = base` last. All guards see the same state,
 * so a lost race writes nothing, and `rowsAffected` of the final UPDATE tells the writer
 * it lost. `key_tags` mirrors the record's tags for indexed `tag=k:v` filters.
 *
 * Wiping: destroyed and purged versions are deleted with `DELETE` on a connection with
 * `secure_delete=ON` (set by `openDatabase`), so SQLite zeroes the freed cells and pages;
 * a purge then checkpoints the WAL (`TRUNCATE`) so the page images that held the
 * material are overwritten in the database file and the log is emptied. Caveat: the
 * filesystem and the disk may still keep old blocks (journaling, copy-on-write, SSD wear
 * levelling), and backups keep what they copied.
 */

import { Buffer } from "node:buffer";
import type { InStatement } from "@libsql/client";
import { and, asc, count, desc, eq, exists, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { HsmError } from "../../domain/errors.ts";
import type { KeyListPage, KeyListQuery, KeyStore } from "../ports.ts";
import type { KeyRecord, SealedVersion } from "../../domain/records.ts";
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
import { isDuplicateKeyError } from "./constraint.ts";
import { GroupCommit } from "../../util/group_commit.ts";
import type { Database } from "./database.ts";
import type { AuditWriterThread } from "./audit_writer.ts";
import { keys, keyTags, keyVersions } from "./schema.ts";
import { type RawStatement, TableInserter } from "./table_inserter.ts";

type Statement = BatchItem<"sqlite">;
type Batch = [Statement, ...Statement[]];

/** Options for `SqliteKeyStore`. */
export interface SqliteKeyStoreOptions {
  /** When true, `close()` also closes the database. Default false (the caller owns it). */
  readonly ownsDatabase?: boolean;
  /**
   * A writer thread with its own connection to the same database file that commits key
   * creations (the store owns it and closes it). Not for `:memory:` databases.
   */
  readonly writer?: AuditWriterThread;
}

/** A KeyStore over the `keys`, `key_versions` and `key_tags` tables. */
export class SqliteKeyStore implements KeyStore {
  readonly #database: Database;
  readonly #ownsDatabase: boolean;
  readonly #creates: GroupCommit<CreationRows>;
  readonly #writer: AuditWriterThread | undefined;
  #closed = false;

  /** Wraps an open database; it is closed by `close()` only when `ownsDatabase` is set. */
  constructor(database: Database, options: SqliteKeyStoreOptions = {}) {
    this.#database = database;
    this.#ownsDatabase = options.ownsDatabase ?? false;
    this.#writer = options.writer;
    this.#creates = new GroupCommit((groups) => this.#commitCreates(groups));
  }

  /**
   * Commits several keys' creations as one batch (one transaction, one fsync): one
   * multi-row INSERT per table for the whole group. When the batch fails (one id already
   * exists), each creation is retried on its own so only the failing one is refused.
   */
  async #commitCreates(groups: readonly CreationRows[]): Promise<(unknown | undefined)[]> {
    const client = this.#client();
    const writer = this.#writer;
    const attempt = async (creations: readonly CreationRows[]) => {
      const statements = creationStatements(creations);
      try {
        if (writer !== undefined) await writer.batch(statements);
        else await client.batch(statements as InStatement[], "write");
        return undefined;
      } catch (err) {
        return isDuplicateKeyError(err)
          ? new HsmError("conflict", "Cannot create key: the id already exists", { cause: err })
          : err;
      }
    };
    if (groups.length === 1) return [await attempt(groups)];
    if (await attempt(groups) === undefined) return groups.map(() => undefined);
    const results: (unknown | undefined)[] = [];
    for (const group of groups) results.push(await attempt([group]));
    return results;
  }

  /** Creates a key with its first version. @throws HsmError("conflict") when the id exists. */
  async create(record: KeyRecord, first: SealedVersion): Promise<void> {
    assertSafeId(record.id);
    assertKeyRecord(record);
    assertSealedVersion(first, record.id);
    this.#assertOpen();
    await this.#creates.submit({
      key: KEYS.row({ id: record.id, ...keyColumns(record) }),
      tags: Object.entries(record.tags).map(([tagKey, tagValue]) =>
        KEY_TAGS.row({ keyId: record.id, tagKey, tagValue })
      ),
      version: KEY_VERSIONS.row(versionColumns(first)),
    });
  }

  /** The key record, or undefined. @throws HsmError("integrity_error") for a malformed row */
  async get(id: string): Promise<KeyRecord | undefined> {
    const db = this.#db();
    if (!isSafeId(id)) return undefined;
    const rows = await db.select().from(keys).where(eq(keys.id, id)).limit(1);
    return rows[0] && decodeKeyRow(rows[0]);
  }

  /**
   * Lists keys matching the filters by creation time then id, with the matching total.
   * A cursor seeks in `keys_created_idx` (row-value comparison) instead of skipping rows.
   */
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
      // lower() folds ASCII letters only, as asciiLower() does for the other adapters.
      query.nameContains === undefined
        ? undefined
        : sql`instr(lower(${keys.name}), ${asciiLower(query.nameContains)}) > 0`,
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
    const page = db.select().from(keys).where(and(filter, position)).orderBy(...order)
      .limit(span?.limit ?? query.limit).offset(span?.offset ?? query.offset);
    if (span?.limit === 0) return { items: [], total: known ?? 0 };
    let rows: (typeof keys.$inferSelect)[];
    let total: number;
    if (known !== undefined) {
      // The caller knows the total (no write since it was counted): no COUNT(*).
      [rows, total] = [await page, known];
    } else {
      // One batch is one read transaction: the page and the total see the same snapshot.
      const [found, totals] = await db.batch([
        page,
        db.select({ total: count() }).from(keys).where(filter),
      ]);
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
    const db = this.#db();
    const atBase = this.#atBaseRevision(record);
    const statements: Statement[] = [];
    if (newVersion !== undefined) {
      statements.push(
        db.insert(keyVersions).select(
          db.select(versionSelection(newVersion)).from(keys).where(atBase),
        ),
      );
    }
    await this.#replace(record, statements, "update", (err) => {
      if (newVersion !== undefined && isDuplicateKeyError(err)) {
        return new HsmError("conflict", `Cannot add version ${newVersion.version}: it exists`, {
          cause: err,
        });
      }
      return err;
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
   * one batch. @throws HsmError("conflict" | "not_found") as `update`
   */
  async destroy(record: KeyRecord): Promise<void> {
    assertKeyRecord(record);
    if (record.state !== "destroyed") {
      throw new TypeError("Destroy needs a record in state destroyed");
    }
    const db = this.#db();
    const atBase = this.#atBaseRevision(record);
    await this.#replace(record, [
      db.delete(keyVersions).where(and(
        eq(keyVersions.keyId, record.id),
        exists(db.select({ one: sql`1` }).from(keys).where(atBase)),
      )),
    ], "destroy");
  }

  /**
   * Deletes the version's row under `secure_delete` and inserts its metadata stub, in one
   * batch, then checkpoints the WAL. A purged version stays purged (no-op).
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
    const where = and(eq(keyVersions.keyId, id), eq(keyVersions.version, version));
    await db.batch([
      db.delete(keyVersions).where(where),
      db.insert(keyVersions).values(versionColumns(stub)),
    ]);
    wipe(stored.nonce, stored.ciphertext, stored.mac);
    // Move the zeroed pages into the database file and empty the log. Best effort: a
    // reader may hold the log (busy), then the next checkpoint completes it.
    await this.#database.client.execute("PRAGMA wal_checkpoint(TRUNCATE)").catch(() => undefined);
    return true;
  }

  /** Stops the store; closes the database when it owns it. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closed && this.#ownsDatabase) this.#database.close();
    this.#closed = true;
    await this.#writer?.close();
  }

  /**
   * Rewrites the tags, runs `first`, then moves the record from the base revision, all
   * guarded by the base revision, in one batch; then maps a lost race to an error.
   */
  async #replace(
    record: KeyRecord,
    first: Statement[],
    verb: string,
    mapError: (err: unknown) => unknown = (err) => err,
  ): Promise<void> {
    const db = this.#db();
    const atBase = this.#atBaseRevision(record);
    const statements: Batch = [
      db.delete(keyTags).where(and(
        eq(keyTags.keyId, record.id),
        exists(db.select({ one: sql`1` }).from(keys).where(atBase)),
      )),
      ...first,
    ];
    for (const [tagKey, tagValue] of Object.entries(record.tags)) {
      statements.push(
        db.insert(keyTags).select(
          db.select({
            keyId: param(record.id, "key_id"),
            tagKey: param(tagKey, "tag_key"),
            tagValue: param(tagValue, "tag_value"),
          }).from(keys).where(atBase),
        ),
      );
    }
    statements.push(db.update(keys).set(keyColumns(record)).where(atBase));
    let results: unknown[];
    try {
      results = await db.batch(statements);
    } catch (err) {
      throw mapError(err);
    }
    const last = results[results.length - 1] as { rowsAffected?: number } | undefined;
    if (last?.rowsAffected === 1) return;
    const stored = await db.select({ revision: keys.revision }).from(keys)
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

  #atBaseRevision(record: KeyRecord): SQL | undefined {
    return and(eq(keys.id, record.id), eq(keys.revision, record.revision - 1));
  }

  #db(): Database["db"] {
    this.#assertOpen();
    return this.#database.db;
  }

  #client(): Database["client"] {
    this.#assertOpen();
    return this.#database.client;
  }

  /** @throws HsmError("unavailable") once the store is closed */
  #assertOpen(): void {
    if (this.#closed) throw new HsmError("unavailable", "Key store is closed");
  }
}

/** One key creation's rows, in column order (see `TableInserter.row`). */
interface CreationRows {
  readonly key: unknown[];
  readonly tags: readonly unknown[][];
  readonly version: unknown[];
}

const KEYS = new TableInserter(keys);
const KEY_TAGS = new TableInserter(keyTags);
const KEY_VERSIONS = new TableInserter(keyVersions);

/** The INSERTs of some creations: keys first (the other tables reference them). */
function creationStatements(creations: readonly CreationRows[]): RawStatement[] {
  return [
    ...KEYS.statements(creations.map((c) => c.key)),
    ...KEY_TAGS.statements(creations.flatMap((c) => c.tags)),
    ...KEY_VERSIONS.statements(creations.map((c) => c.version)),
  ];
}

/** A bound parameter selected as a named column (for INSERT ... SELECT). */
function param(value: unknown, alias: string): SQL.Aliased {
  return sql`${value}`.as(alias);
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
    nonce: Buffer.from(v.nonce),
    ciphertext: Buffer.from(v.ciphertext),
    mac: Buffer.from(v.mac),
    purgedAt: v.purgedAt ?? null,
  };
}

/** The version's columns as bound parameters, in table order (INSERT ... SELECT needs it). */
function versionSelection(v: SealedVersion) {
  const c = versionColumns(v);
  return {
    keyId: param(c.keyId, "key_id"),
    version: param(c.version, "version"),
    algorithm: param(c.algorithm, "algorithm"),
    usage: param(c.usage, "usage"),
    createdAt: param(c.createdAt, "created_at"),
    sourceVersion: param(c.sourceVersion, "source_version"),
    nonce: param(c.nonce, "nonce"),
    ciphertext: param(c.ciphertext, "ciphertext"),
    mac: param(c.mac, "mac"),
    purgedAt: param(c.purgedAt, "purged_at"),
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

/** A plain Uint8Array copy of a blob (drizzle hands back a Buffer). */
function toBytes(value: unknown): Uint8Array | undefined {
  return value instanceof Uint8Array ? new Uint8Array(value) : undefined;
}
