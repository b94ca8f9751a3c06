/**
 * PolicyStore on PostgreSQL through drizzle: the `policy_versions` table, one immutable
 * row per (id, version), shared by every node. A later version is inserted with
 * `INSERT ... SELECT` guarded by "the latest stored version is the one before", and the
 * primary key refuses a second writer of the same version (two nodes racing), so a lost
 * race inserts nothing and the writer learns why from a read. Each write sends a `policy`
 * change notification in its transaction, so the other nodes reload their policy engine
 * once it commits (see `change_feed.ts`).
 */

import { and, asc, desc, eq, sql } from "drizzle-orm";
import { HsmError } from "../../domain/errors.ts";
import type { PolicyVersionRecord } from "../../domain/policies.ts";
import type { PolicyStore } from "../ports.ts";
import {
  checkNextPolicyVersion,
  decodePolicyVersionRow as decode,
  policyVersionColumns as columns,
} from "../policy_versions.ts";
import { assertPolicyVersion, isSafeId, isValidVersion } from "../records.ts";
import { notifyChange } from "./change_feed.ts";
import { isUniqueViolation } from "./constraint.ts";
import type { PostgresDatabase } from "./database.ts";
import { policyVersions } from "./schema.ts";

/** A PolicyStore over the `policy_versions` table (the caller owns the database). */
export class PostgresPolicyStore implements PolicyStore {
  readonly #database: PostgresDatabase;
  #closed = false;

  /** A store over an open database; `close()` leaves the database open. */
  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  /** Adds a version (1 creates; n + 1 follows the latest) and announces the change. */
  async put(record: PolicyVersionRecord): Promise<void> {
    assertPolicyVersion(record);
    const db = this.#db();
    const row = columns(record);
    let inserted = 0;
    try {
      inserted = await db.transaction(async (tx) => {
        const rows = record.version === 1
          ? await tx.insert(policyVersions).values(row).returning({ id: policyVersions.id })
          : await tx.execute<{ id: string }>(sql`
            insert into policy_versions (id, version, name, script, digest, scope, deleted,
              created_at, updated_at, author, approval_id, mac)
            select ${row.id}, ${row.version}, ${row.name}, ${row.script}, ${row.digest},
              ${row.scope}, ${row.deleted}, ${row.createdAt}, ${row.updatedAt}, ${row.author},
              ${row.approvalId}, ${row.mac}
            where (select max(version) from policy_versions where id = ${record.id})
              = ${record.version - 1}
            returning id`);
        if (rows.length === 1) {
          await notifyChange(tx, this.#database.nodeId, "policy", record.id);
        }
        return rows.length;
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    if (inserted === 1) return;
    checkNextPolicyVersion((await this.latest(record.id))?.version, record);
    throw new HsmError("conflict", `Cannot write policy ${record.id}: it changed meanwhile`);
  }

  /** The latest version, or undefined. */
  async latest(id: string): Promise<PolicyVersionRecord | undefined> {
    if (!isSafeId(id)) return undefined;
    const rows = await this.#db().select().from(policyVersions)
      .where(eq(policyVersions.id, id)).orderBy(desc(policyVersions.version)).limit(1);
    return rows[0] && decode(rows[0]);
  }

  /** One version, or undefined. */
  async version(id: string, version: number): Promise<PolicyVersionRecord | undefined> {
    if (!isSafeId(id) || !isValidVersion(version)) return undefined;
    const rows = await this.#db().select().from(policyVersions)
      .where(and(eq(policyVersions.id, id), eq(policyVersions.version, version))).limit(1);
    return rows[0] && decode(rows[0]);
  }

  /** Every version, ascending. */
  async versions(id: string): Promise<PolicyVersionRecord[]> {
    if (!isSafeId(id)) return [];
    const rows = await this.#db().select().from(policyVersions)
      .where(eq(policyVersions.id, id)).orderBy(asc(policyVersions.version));
    return rows.map(decode);
  }

  /** The latest version of every policy, by creation time then id. */
  async list(): Promise<PolicyVersionRecord[]> {
    const rows = await this.#db().selectDistinctOn([policyVersions.id]).from(policyVersions)
      .orderBy(asc(policyVersions.id), desc(policyVersions.version));
    return rows.map(decode).sort((a, b) =>
      a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1
    );
  }

  /** Stops the store (the database is closed by its owner). */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #db(): PostgresDatabase["db"] {
    if (this.#closed) throw new HsmError("unavailable", "Policy store is closed");
    return this.#database.db;
  }
}
