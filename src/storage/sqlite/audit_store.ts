/**
 * SQLite (libSQL) audit store over the shared `Database`: table `audit_entries`, keyed
 * by `seq` (the rowid, so seq order is storage order). A batch is one `db.batch` of
 * multi-row inserts: one implicit transaction and one fsync (`synchronous=FULL`), and
 * no partial batch is ever visible. A duplicate seq (another writer) fails the batch.
 *
 * Security caveats: rows are trusted by nothing; `verifyChain` re-validates every row
 * it reads. The database connection belongs to the caller: `close()` does not close it.
 */

import { and, asc, desc, gt, inArray, isNotNull, lte, or } from "drizzle-orm";
import type { AuditWriterThread } from "./audit_writer.ts";
import type { Database } from "./database.ts";
import { auditEntries } from "./schema.ts";
import type { AuditStore } from "../ports.ts";
import type { AuditEntry } from "../../domain/audit_entry.ts";

/** Rows per INSERT statement (well under SQLite's bound-parameter limit). */
const ROWS_PER_INSERT = 100;
/** Rows per page when streaming `scan()`. */
const SCAN_PAGE = 1000;

type Row = typeof auditEntries.$inferSelect;

/** The SQLite implementation of the AuditStore port. */
export class SqliteAuditStore implements AuditStore {
  readonly #database: Database;
  readonly #writer: AuditWriterThread | undefined;

  /**
   * A store over an open database (see `openDatabase`). With `writer`, appends commit
   * on that thread's own connection (the store then owns and closes it); reads stay here.
   */
  constructor(database: Database, options: { writer?: AuditWriterThread } = {}) {
    this.#database = database;
    this.#writer = options.writer;
  }

  /** Inserts the batch in one transaction. */
  async append(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (this.#writer !== undefined) {
      await this.#writer.append(entries.map((e) => [
        e.seq,
        e.ts,
        e.actor,
        e.action,
        e.key_id,
        e.result,
        e.payload_hash,
        e.prev_hash,
        e.mac,
        e.records ?? null,
        e.request_id ?? null,
      ]));
      return;
    }
    const { db } = this.#database;
    const rows = entries.map(toRow);
    const first = db.insert(auditEntries).values(rows.slice(0, ROWS_PER_INSERT));
    const rest = [];
    for (let i = ROWS_PER_INSERT; i < rows.length; i += ROWS_PER_INSERT) {
      rest.push(db.insert(auditEntries).values(rows.slice(i, i + ROWS_PER_INSERT)));
    }
    await db.batch([first, ...rest]);
  }

  /** The entry with the highest seq, or undefined. */
  async last(): Promise<AuditEntry | undefined> {
    const rows = await this.#database.db.select().from(auditEntries)
      .orderBy(desc(auditEntries.seq)).limit(1);
    const row = rows[0];
    return row === undefined ? undefined : fromRow(row);
  }

  /** Entries with seq > afterSeq, ascending, at most `limit`. */
  async list(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError("Invalid limit");
    if (limit === 0) return [];
    const rows = await this.#database.db.select().from(auditEntries)
      .where(gt(auditEntries.seq, afterSeq)).orderBy(asc(auditEntries.seq)).limit(limit);
    return rows.map(fromRow);
  }

  /** Journal entries (`records` set, or an action of `actions`), by seq, page by page. */
  async *journal(actions: readonly string[], afterSeq = 0): AsyncGenerator<AuditEntry> {
    let after = afterSeq;
    const wanted = or(isNotNull(auditEntries.records), inArray(auditEntries.action, [...actions]));
    for (;;) {
      const rows = await this.#database.db.select().from(auditEntries)
        .where(and(gt(auditEntries.seq, after), wanted))
        .orderBy(asc(auditEntries.seq)).limit(SCAN_PAGE);
      for (const row of rows) yield fromRow(row);
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < SCAN_PAGE) return;
      after = last.seq;
    }
  }

  /** Every entry in seq (rowid) order, streamed page by page. */
  async *scan(): AsyncGenerator<AuditEntry> {
    let after = Number.MIN_SAFE_INTEGER;
    for (;;) {
      const rows = await this.#database.db.select().from(auditEntries)
        .where(gt(auditEntries.seq, after)).orderBy(asc(auditEntries.seq)).limit(SCAN_PAGE);
      for (const row of rows) yield fromRow(row);
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < SCAN_PAGE) return;
      after = last.seq;
    }
  }

  /** Deletes entries with seq ≤ `seq` (archived), in one statement. */
  async dropThrough(seq: number): Promise<void> {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError("Invalid seq");
    await this.#database.db.delete(auditEntries).where(lte(auditEntries.seq, seq));
  }

  /** Stops the writer thread if any; the database is closed by whoever opened it. */
  async close(): Promise<void> {
    await this.#writer?.close();
  }
}

function toRow(e: AuditEntry): Row {
  return {
    seq: e.seq,
    ts: e.ts,
    actor: e.actor,
    action: e.action,
    keyId: e.key_id,
    result: e.result,
    payloadHash: e.payload_hash,
    prevHash: e.prev_hash,
    mac: e.mac,
    records: e.records ?? null,
    requestId: e.request_id ?? null,
  };
}

function fromRow(r: Row): AuditEntry {
  return {
    seq: r.seq,
    ts: r.ts,
    actor: r.actor,
    action: r.action,
    key_id: r.keyId,
    result: r.result,
    payload_hash: r.payloadHash,
    prev_hash: r.prevHash,
    mac: r.mac,
    ...(r.records === null ? {} : { records: r.records }),
    ...(r.requestId === null ? {} : { request_id: r.requestId }),
  };
}
