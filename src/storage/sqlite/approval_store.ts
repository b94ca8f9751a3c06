/**
 * ApprovalStore on libSQL through drizzle. Each write is a single statement (atomic on
 * its own); `update` is `UPDATE ... WHERE id = ? AND revision = new - 1`, so a lost race
 * changes nothing and is reported as `conflict`. `approvals` and `params` are stored as
 * JSON text; `params` must therefore be JSON-serialisable (never key material).
 */

import { and, asc, count, eq, gt, lte, or, type SQL, sql } from "drizzle-orm";
import { HsmError } from "../../domain/errors.ts";
import type { ApprovalListQuery, ApprovalPage, ApprovalStore } from "../ports.ts";
import type { ApprovalRecord, ApprovalState } from "../../domain/records.ts";
import {
  approvalRecordProblem,
  assertApprovalRecord,
  assertPaging,
  assertSafeId,
  isApprovalState,
  isSafeId,
  zeroCounts,
} from "../records.ts";
import { isDuplicateKeyError } from "./constraint.ts";
import type { Database } from "./database.ts";
import { approvals } from "./schema.ts";

/** Options for `SqliteApprovalStore`. */
export interface SqliteApprovalStoreOptions {
  /** When true, `close()` also closes the database. Default false (the caller owns it). */
  readonly ownsDatabase?: boolean;
}

/** An ApprovalStore over the `approvals` table. */
export class SqliteApprovalStore implements ApprovalStore {
  readonly #database: Database;
  readonly #ownsDatabase: boolean;
  #closed = false;

  /** Wraps an open database; it is closed by `close()` only when `ownsDatabase` is set. */
  constructor(database: Database, options: SqliteApprovalStoreOptions = {}) {
    this.#database = database;
    this.#ownsDatabase = options.ownsDatabase ?? false;
  }

  /** Stores a new approval. @throws HsmError("conflict") when the id exists. */
  async create(record: ApprovalRecord): Promise<void> {
    assertSafeId(record.id);
    assertApprovalRecord(record);
    const db = this.#db();
    try {
      await db.insert(approvals).values({ id: record.id, ...columns(record) });
    } catch (err) {
      if (isDuplicateKeyError(err)) {
        throw new HsmError(
          "conflict",
          "Cannot create approval: the id already exists",
          { cause: err },
        );
      }
      throw err;
    }
  }

  /** The approval, or undefined. @throws HsmError("integrity_error") for a malformed row */
  async get(id: string): Promise<ApprovalRecord | undefined> {
    const db = this.#db();
    if (!isSafeId(id)) return undefined;
    const rows = await db.select().from(approvals).where(eq(approvals.id, id)).limit(1);
    return rows[0] && decodeRow(rows[0]);
  }

  /** Approvals matching the query, by creation time then id. */
  async list(query: ApprovalListQuery): Promise<ApprovalPage> {
    assertPaging(query);
    const db = this.#db();
    const where = and(
      stateCondition(query.state, query.now),
      query.action === undefined ? undefined : eq(approvals.action, query.action),
      query.keyId === undefined ? undefined : eq(approvals.keyId, query.keyId),
    );
    const [rows, total] = await Promise.all([
      db.select().from(approvals).where(where)
        .orderBy(asc(approvals.createdAt), asc(approvals.id))
        .limit(query.limit).offset(query.offset),
      db.select({ n: count() }).from(approvals).where(where),
    ]);
    return { items: rows.map(decodeRow), total: total[0]?.n ?? 0 };
  }

  /** Approvals per state as callers see them at `now`. */
  async countByState(now: string): Promise<Record<ApprovalState, number>> {
    const db = this.#db();
    const effective = sql<
      string
    >`case when ${approvals.state} = 'pending' and ${approvals.expiresAt} <= ${now} then 'expired' else ${approvals.state} end`;
    const rows = await db.select({ state: effective, n: count() }).from(approvals)
      .groupBy(effective);
    const counts = zeroCounts();
    for (const row of rows) {
      if (isApprovalState(row.state)) counts[row.state] = row.n;
    }
    return counts;
  }

  /**
   * Replaces an approval; its `revision` must be the stored one + 1.
   * @throws HsmError("conflict") on a stale revision
   * @throws HsmError("not_found") when the approval does not exist
   */
  async update(record: ApprovalRecord): Promise<void> {
    assertApprovalRecord(record);
    const db = this.#db();
    const result = await db.update(approvals).set(columns(record))
      .where(and(eq(approvals.id, record.id), eq(approvals.revision, record.revision - 1)));
    if (result.rowsAffected === 1) return;
    const stored = await db.select({ revision: approvals.revision }).from(approvals)
      .where(eq(approvals.id, record.id)).limit(1);
    if (stored[0] === undefined) {
      throw new HsmError("not_found", "Cannot update approval: it does not exist");
    }
    throw new HsmError(
      "conflict",
      `Cannot update approval: revision ${record.revision} does not follow stored revision ${
        stored[0].revision
      }`,
    );
  }

  /** Stops the store; closes the database when it owns it. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed && this.#ownsDatabase) this.#database.close();
    this.#closed = true;
    return Promise.resolve();
  }

  #db(): Database["db"] {
    if (this.#closed) throw new HsmError("unavailable", "Approval store is closed");
    return this.#database.db;
  }
}

function columns(record: ApprovalRecord) {
  return {
    action: record.action,
    keyId: record.keyId,
    requestedBy: record.requestedBy,
    approvals: JSON.stringify(record.approvals.map((a) => ({ actor: a.actor, at: a.at }))),
    quorum: record.quorum,
    state: record.state,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    params: JSON.stringify(record.params),
    revision: record.revision,
    mac: record.mac,
  };
}

/** The SQL condition for a state as callers see it (a lapsed pending request is expired). */
function stateCondition(state: ApprovalState | undefined, now: string): SQL | undefined {
  if (state === undefined) return undefined;
  if (state === "pending") {
    return and(eq(approvals.state, "pending"), gt(approvals.expiresAt, now));
  }
  if (state === "expired") {
    return or(
      eq(approvals.state, "expired"),
      and(eq(approvals.state, "pending"), lte(approvals.expiresAt, now)),
    );
  }
  return eq(approvals.state, state);
}

function decodeRow(row: typeof approvals.$inferSelect): ApprovalRecord {
  const candidate = { ...row, approvals: parseJson(row.approvals), params: parseJson(row.params) };
  const problem = approvalRecordProblem(candidate);
  if (problem !== undefined) {
    throw new HsmError("integrity_error", `Cannot read approval ${row.id}: ${problem}`);
  }
  return candidate as ApprovalRecord;
}

/** Parses a JSON column; malformed text becomes undefined, which the shape check rejects. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
