/**
 * ApprovalStore on PostgreSQL through drizzle, safe with several nodes deciding at once:
 *
 * - `update` is one transaction that locks the row (`FOR UPDATE`), checks the revision,
 *   records each new approver as a row of `approval_votes` (whose primary key makes a
 *   second vote by the same actor impossible), checks the quorum against the stored votes
 *   (`approved` and `executed` only with at least `quorum` votes) and moves the row; a lost race, a duplicate vote or a wrong quorum state rolls everything back.
 * - `createExclusive` stores a request only while no other request for the same action
 *   and key is pending (not expired), serialised across nodes by a transaction-scoped
 *   advisory lock on the action and key.
 *
 * Every committed write sends a change notification. `approvals` and `params` are JSON
 * text; `params` must be JSON-serialisable (never key material).
 */

import { and, asc, count, eq, gt, isNull, lte, or, type SQL, sql } from "drizzle-orm";
import { HsmError } from "../../domain/errors.ts";
import type { ApprovalRecord, ApprovalState } from "../../domain/records.ts";
import type { ApprovalListQuery, ApprovalPage, ApprovalStore } from "../ports.ts";
import {
  approvalRecordProblem,
  assertApprovalRecord,
  assertPaging,
  assertSafeId,
  isApprovalState,
  isSafeId,
  zeroCounts,
} from "../records.ts";
import { notifyChange, type PgExecutor } from "./change_feed.ts";
import { isUniqueViolation } from "./constraint.ts";
import type { PostgresDatabase } from "./database.ts";
import { approvals, approvalVotes } from "./schema.ts";

/** Options for `PostgresApprovalStore`. */
export interface PostgresApprovalStoreOptions {
  /** When true, `close()` also closes the database. Default false (the caller owns it). */
  readonly ownsDatabase?: boolean;
}

/** An ApprovalStore over the `approvals` and `approval_votes` tables. */
export class PostgresApprovalStore implements ApprovalStore {
  readonly #database: PostgresDatabase;
  readonly #ownsDatabase: boolean;
  #closed = false;

  /** Wraps an open database; it is closed by `close()` only when `ownsDatabase` is set. */
  constructor(database: PostgresDatabase, options: PostgresApprovalStoreOptions = {}) {
    this.#database = database;
    this.#ownsDatabase = options.ownsDatabase ?? false;
  }

  /** Stores a new approval. @throws HsmError("conflict") when the id exists. */
  async create(record: ApprovalRecord): Promise<void> {
    assertSafeId(record.id);
    assertApprovalRecord(record);
    await this.#insert(record, async () => {});
  }

  /**
   * Stores a new pending request unless a request for the same action and key is pending
   * and unexpired at `record.createdAt`, atomically across nodes.
   * @throws HsmError("conflict") when one is, or when the id exists
   */
  async createExclusive(record: ApprovalRecord): Promise<void> {
    assertSafeId(record.id);
    assertApprovalRecord(record);
    await this.#insert(record, async (tx) => {
      const lockKey = `${record.action}|${record.keyId ?? ""}`;
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${lockKey}, 0))`);
      const open = await tx.select({ id: approvals.id }).from(approvals).where(and(
        eq(approvals.action, record.action),
        record.keyId === null ? isNull(approvals.keyId) : eq(approvals.keyId, record.keyId),
        eq(approvals.state, "pending"),
        gt(approvals.expiresAt, record.createdAt),
      )).limit(1);
      if (open[0] !== undefined) {
        throw new HsmError(
          "conflict",
          `Cannot request ${record.action} for key ${record.keyId}: approval ${
            open[0].id
          } is already pending`,
        );
      }
    });
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
    const [rows, total] = await db.transaction(async (tx) =>
      await Promise.all([
        tx.select().from(approvals).where(where)
          .orderBy(asc(approvals.createdAt), asc(approvals.id))
          .limit(query.limit).offset(query.offset),
        tx.select({ n: count() }).from(approvals).where(where),
      ]), { isolationLevel: "repeatable read", accessMode: "read only" });
    return { items: rows.map(decodeRow), total: total[0]?.n ?? 0 };
  }

  /** Approvals per state as callers see them at `now`. */
  async countByState(now: string): Promise<Record<ApprovalState, number>> {
    const db = this.#db();
    const effective = sql<
      string
    >`case when ${approvals.state} = 'pending' and ${approvals.expiresAt} <= ${now} then 'expired' else ${approvals.state} end`;
    // Grouped by position: the expression repeated would bind `now` as another parameter.
    const rows = await db.select({ state: effective, n: count() }).from(approvals)
      .groupBy(sql`1`);
    const counts = zeroCounts();
    for (const row of rows) {
      if (isApprovalState(row.state)) counts[row.state] = row.n;
    }
    return counts;
  }

  /**
   * Replaces an approval; its `revision` must be the stored one + 1, each new approver
   * must not have voted, and `approved`/`executed` need the quorum of stored votes.
   * @throws HsmError("conflict") on a stale revision, a second vote or a quorum mismatch
   * @throws HsmError("not_found") when the approval does not exist
   */
  async update(record: ApprovalRecord): Promise<void> {
    assertApprovalRecord(record);
    const db = this.#db();
    await db.transaction(async (tx) => {
      const rows = await tx.select({ revision: approvals.revision, quorum: approvals.quorum })
        .from(approvals).where(eq(approvals.id, record.id)).for("update");
      const row = rows[0];
      if (row === undefined) {
        throw new HsmError("not_found", "Cannot update approval: it does not exist");
      }
      if (row.revision !== record.revision - 1) {
        throw new HsmError(
          "conflict",
          `Cannot update approval: revision ${record.revision} does not follow stored revision ${row.revision}`,
        );
      }
      const voted = new Set(
        (await tx.select({ actor: approvalVotes.actor }).from(approvalVotes)
          .where(eq(approvalVotes.approvalId, record.id))).map((v) => v.actor),
      );
      const storedVotes = voted.size;
      // Each stored vote accounts for one listed approval; any other one is a new vote
      // (an actor listed twice is a second vote, which the primary key refuses).
      const fresh = record.approvals.filter((a) => !voted.delete(a.actor));
      if (fresh.length > 0) {
        try {
          await tx.insert(approvalVotes).values(
            fresh.map((a) => ({ approvalId: record.id, actor: a.actor, at: a.at })),
          );
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          throw new HsmError("conflict", "Cannot approve twice: the actor already approved", {
            cause: err,
          });
        }
      }
      const votes = storedVotes + fresh.length;
      const quorum = row.quorum;
      if ((record.state === "approved" || record.state === "executed") && votes < quorum) {
        throw new HsmError(
          "conflict",
          `Cannot update approval: ${votes} of ${quorum} votes do not make it ${record.state}`,
        );
      }
      await tx.update(approvals).set(columns(record)).where(eq(approvals.id, record.id));
      await this.#notify(tx, record.id);
    });
  }

  /** Stops the store; closes the database when it owns it. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closed && this.#ownsDatabase) await this.#database.close();
    this.#closed = true;
  }

  async #insert(record: ApprovalRecord, first: (tx: PgExecutor) => Promise<void>): Promise<void> {
    const db = this.#db();
    try {
      await db.transaction(async (tx) => {
        await first(tx);
        await tx.insert(approvals).values({ id: record.id, ...columns(record) });
        if (record.approvals.length > 0) {
          await tx.insert(approvalVotes).values(
            record.approvals.map((a) => ({ approvalId: record.id, actor: a.actor, at: a.at })),
          );
        }
        await this.#notify(tx, record.id);
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new HsmError("conflict", "Cannot create approval: the id already exists", {
          cause: err,
        });
      }
      throw err;
    }
  }

  #notify(tx: PgExecutor, id: string): Promise<void> {
    return notifyChange(tx, this.#database.nodeId, "approval", id);
  }

  #db(): PostgresDatabase["db"] {
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
