/**
 * The audit log on PostgreSQL, shared by every node: one hash chain, gap-free `seq`.
 *
 * `appendChained` is how the audit log writes here: the log chains its batch after the
 * stored head (seq, prev_hash, MACs and the new head's anchor MAC), and the batch is
 * inserted and the head moved in the same transaction, which only commits if the head
 * was still the one chained after (a compare-and-set on the head row, or the row locked
 * with `SELECT ... FOR UPDATE` from the start when another node got there first).
 * Batches from different nodes therefore queue on the head row and the order is total;
 * a node that dies mid-batch leaves nothing (the transaction rolls back, so no hole); a
 * unique index on `prev_hash` and the primary key on `seq` make two
 * batches chained after the same head impossible (no fork), even if the lock were
 * bypassed. The head row doubles as the log's anchor (`PostgresAnchorStore`).
 *
 * `append` (the plain port method, used by tests and tools) inserts a batch without
 * moving the head.
 *
 * Security caveats: rows are trusted by nothing; `verifyChain` re-validates every row it
 * reads and the log checks the head's MAC before chaining after it. `node_id` (which node
 * appended an entry) is bookkeeping outside the chain, not authenticated.
 */

import { and, asc, desc, eq, gt, inArray, isNotNull, lte, or } from "drizzle-orm";
import type { AnchorRecord, AuditEntry } from "../../domain/audit_entry.ts";
import type { AnchorStore, AuditStore, ChainedBatch } from "../ports.ts";
import type { PostgresDatabase } from "./database.ts";
import { auditEntries, auditHead } from "./schema.ts";

/** Rows per INSERT statement (well under PostgreSQL's bound-parameter limit). */
const ROWS_PER_INSERT = 500;
/** Rows per page when streaming `scan()`. */
const SCAN_PAGE = 1000;
/** The id of the one head row. */
const HEAD = 1;

type Row = typeof auditEntries.$inferSelect;

/** The PostgreSQL implementation of the AuditStore port, with `appendChained`. */
export class PostgresAuditStore implements AuditStore {
  readonly #database: PostgresDatabase;
  /** The head this store last committed (where the next batch is likely to chain). */
  #head: AnchorRecord | undefined;

  /** A store over an open database; `close()` leaves the database open. */
  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  /** Inserts the batch in one transaction (the head row is not moved). */
  async append(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#database.db.transaction(async (tx) => {
      for (let i = 0; i < entries.length; i += ROWS_PER_INSERT) {
        await tx.insert(auditEntries).values(
          entries.slice(i, i + ROWS_PER_INSERT).map((e) => this.#toRow(e)),
        );
      }
    });
  }

  /**
   * Lets `build` chain a batch after the stored head, inserts the batch and moves the head
   * to the batch's anchor, atomically; resolves once committed. `build` gets undefined
   * while the database has no anchor yet.
   *
   * First optimistically, in one statement (one round trip): build after the head this
   * store last committed, then move the head only if it is still that one
   * (compare-and-set under the row lock) and insert the batch only if it moved. When
   * another node moved it meanwhile, in one transaction that locks the head row (`FOR
   * UPDATE`): read it, build after it, insert, move; that one cannot lose, so a node
   * never starves.
   */
  async appendChained(
    build: (head: AnchorRecord | undefined) => Promise<ChainedBatch>,
  ): Promise<ChainedBatch> {
    const known = this.#head;
    if (known !== undefined) {
      const batch = await build(known);
      if (await this.#casInsert(known, batch)) {
        this.#head = batch.head;
        return batch;
      }
    }
    const batch = await this.#database.db.transaction(async (tx) => {
      const rows = await tx.select().from(auditHead).where(eq(auditHead.id, HEAD)).for("update");
      const batch = await build(toAnchor(rows[0]));
      for (let i = 0; i < batch.entries.length; i += ROWS_PER_INSERT) {
        await tx.insert(auditEntries).values(
          batch.entries.slice(i, i + ROWS_PER_INSERT).map((e) => this.#toRow(e)),
        );
      }
      await tx.update(auditHead)
        .set({ seq: batch.head.seq, hash: batch.head.hash, mac: batch.head.mac })
        .where(eq(auditHead.id, HEAD));
      return batch;
    });
    this.#head = batch.head;
    return batch;
  }

  /**
   * In one statement: moves the head from `from` to the batch's head and inserts the
   * batch, or does nothing when the head is no longer `from`. True when it moved.
   */
  async #casInsert(from: AnchorRecord, batch: ChainedBatch): Promise<boolean> {
    const e = batch.entries;
    const column = <T>(pick: (entry: AuditEntry) => T) => e.map(pick);
    const rows = await this.#database.sql`
      with moved as (
        update audit_head set seq = ${batch.head.seq}, hash = ${batch.head.hash},
          mac = ${batch.head.mac}
        where id = ${HEAD} and seq = ${from.seq} and hash = ${from.hash} and mac = ${from.mac}
        returning id
      ), inserted as (
        insert into audit_entries
          (seq, ts, actor, action, key_id, result, payload_hash, prev_hash, mac, records,
           request_id, node_id)
        select v.seq, v.ts, v.actor, v.action, v.key_id, v.result, v.payload_hash,
          v.prev_hash, v.mac, v.records, v.request_id, ${this.#database.nodeId}
        from unnest(
          ${column((x) => x.seq)}::bigint[], ${column((x) => x.ts)}::text[],
          ${column((x) => x.actor)}::text[], ${column((x) => x.action)}::text[],
          ${column((x) => x.key_id)}::text[], ${column((x) => x.result)}::text[],
          ${column((x) => x.payload_hash)}::text[], ${column((x) => x.prev_hash)}::text[],
          ${column((x) => x.mac)}::text[], ${column((x) => x.records ?? null)}::text[],
          ${column((x) => x.request_id ?? null)}::text[]
        ) as v(seq, ts, actor, action, key_id, result, payload_hash, prev_hash, mac, records,
          request_id)
        where exists (select 1 from moved)
        returning seq
      )
      select count(*)::int as n from moved`;
    return rows[0]?.n === 1;
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
    const wanted = or(isNotNull(auditEntries.records), inArray(auditEntries.action, [...actions]));
    yield* this.#pages(afterSeq, wanted);
  }

  /** Every entry in seq order, streamed page by page. */
  scan(): AsyncGenerator<AuditEntry> {
    return this.#pages(Number.MIN_SAFE_INTEGER, undefined);
  }

  /**
   * The committed record refs of entries `node` appended after `afterSeq` (the entries
   * of a node that stopped without a clean shutdown), ascending.
   */
  async *entriesOf(node: string, afterSeq: number): AsyncGenerator<AuditEntry> {
    yield* this.#pages(
      afterSeq,
      and(eq(auditEntries.nodeId, node), isNotNull(auditEntries.records)),
    );
  }

  /** Deletes every entry with seq ≤ `seq` (archived; see `audit_archive.ts`). */
  async dropThrough(seq: number): Promise<void> {
    if (!Number.isSafeInteger(seq)) throw new RangeError("Invalid seq");
    await this.#database.db.delete(auditEntries).where(lte(auditEntries.seq, seq));
  }

  /** The database is closed by whoever opened it. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  async *#pages(
    afterSeq: number,
    filter: ReturnType<typeof and>,
  ): AsyncGenerator<AuditEntry> {
    let after = afterSeq;
    for (;;) {
      const rows = await this.#database.db.select().from(auditEntries)
        .where(and(gt(auditEntries.seq, after), filter))
        .orderBy(asc(auditEntries.seq)).limit(SCAN_PAGE);
      for (const row of rows) yield fromRow(row);
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < SCAN_PAGE) return;
      after = last.seq;
    }
  }

  #toRow(e: AuditEntry): Row {
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
      nodeId: this.#database.nodeId,
      requestId: e.request_id ?? null,
    };
  }
}

/**
 * The anchor of the shared log: the chain head row. `write` only ever moves the head
 * forward (a new anchor below the stored one is ignored), and the audit log moves it in
 * the batch transaction itself, so it never lags.
 */
export class PostgresAnchorStore implements AnchorStore {
  readonly #database: PostgresDatabase;

  /** An anchor store over an open database. */
  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  /** The head as an anchor, or undefined before the first anchor was written. */
  async read(): Promise<AnchorRecord | undefined> {
    const rows = await this.#database.db.select().from(auditHead).where(eq(auditHead.id, HEAD));
    return toAnchor(rows[0]);
  }

  /** Writes the head when none is anchored yet or when `record` is not behind it. */
  async write(record: AnchorRecord): Promise<void> {
    await this.#database.db.transaction(async (tx) => {
      const rows = await tx.select().from(auditHead).where(eq(auditHead.id, HEAD)).for("update");
      const stored = toAnchor(rows[0]);
      if (stored !== undefined && stored.seq > record.seq) return;
      await tx.insert(auditHead).values({ id: HEAD, ...record })
        .onConflictDoUpdate({
          target: auditHead.id,
          set: { seq: record.seq, hash: record.hash, mac: record.mac },
        });
    });
  }
}

function toAnchor(row: typeof auditHead.$inferSelect | undefined): AnchorRecord | undefined {
  if (row === undefined || row.mac === "") return undefined;
  return { seq: row.seq, hash: row.hash, mac: row.mac };
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
