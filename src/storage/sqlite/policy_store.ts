/**
 * PolicyStore on libSQL through drizzle: the `policy_versions` table, one immutable row
 * per (id, version). A later version is inserted with `INSERT ... SELECT` guarded by
 * "the latest stored version is the one before", so a lost race inserts nothing and the
 * writer learns why from a read; the primary key refuses a duplicate version outright.
 */

import { and, asc, eq, sql } from "drizzle-orm";
import { HsmError } from "../../domain/errors.ts";
import type { PolicyVersionRecord } from "../../domain/policies.ts";
import type { PolicyStore } from "../ports.ts";
import {
  checkNextPolicyVersion,
  decodePolicyVersionRow as decode,
  policyVersionColumns as columns,
} from "../policy_versions.ts";
import { assertPolicyVersion, isSafeId } from "../records.ts";
import { isDuplicateKeyError } from "./constraint.ts";
import type { Database } from "./database.ts";
import { policyVersions } from "./schema.ts";

/** The table's columns, in the order the guarded insert binds them. */
const COLUMNS = [
  "id",
  "version",
  "name",
  "script",
  "digest",
  "scope",
  "deleted",
  "created_at",
  "updated_at",
  "author",
  "approval_id",
  "mac",
] as const;

/** A PolicyStore over the `policy_versions` table (the caller owns the database). */
export class SqlitePolicyStore implements PolicyStore {
  readonly #database: Database;
  #closed = false;

  constructor(database: Database) {
    this.#database = database;
  }

  /** Adds a version (1 creates; n + 1 follows the latest). */
  async put(record: PolicyVersionRecord): Promise<void> {
    assertPolicyVersion(record);
    const db = this.#db();
    const row = columns(record);
    let inserted: number | undefined;
    try {
      if (record.version === 1) {
        inserted = (await db.insert(policyVersions).values(row)).rowsAffected;
      } else {
        // Guarded: inserted only while the latest stored version is the one before.
        inserted = (await this.#database.client.execute({
          sql: `INSERT INTO policy_versions (${COLUMNS.join(", ")})
            SELECT ${COLUMNS.map(() => "?").join(", ")}
            WHERE (SELECT max(version) FROM policy_versions WHERE id = ?) = ?`,
          args: [
            row.id,
            row.version,
            row.name,
            row.script,
            row.digest,
            row.scope,
            row.deleted ? 1 : 0,
            row.createdAt,
            row.updatedAt,
            row.author,
            row.approvalId,
            row.mac,
            record.id,
            record.version - 1,
          ],
        })).rowsAffected;
      }
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      inserted = 0;
    }
    if (inserted === 1) return;
    checkNextPolicyVersion((await this.latest(record.id))?.version, record);
    throw new HsmError("conflict", `Cannot write policy ${record.id}: it changed meanwhile`);
  }

  /** The latest version, or undefined. */
  async latest(id: string): Promise<PolicyVersionRecord | undefined> {
    if (!isSafeId(id)) return undefined;
    const rows = await this.#db().select().from(policyVersions)
      .where(eq(policyVersions.id, id)).orderBy(sql`${policyVersions.version} desc`).limit(1);
    return rows[0] && decode(rows[0]);
  }

  /** One version, or undefined. */
  async version(id: string, version: number): Promise<PolicyVersionRecord | undefined> {
    if (!isSafeId(id) || !Number.isSafeInteger(version)) return undefined;
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
    const rows = await this.#db().select().from(policyVersions)
      .where(sql`${policyVersions.version} = (select max(p2.version) from ${policyVersions} p2
        where p2.id = ${policyVersions.id})`)
      .orderBy(asc(policyVersions.createdAt), asc(policyVersions.id));
    return rows.map(decode);
  }

  /** Stops the store (the database is closed by its owner). */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #db(): Database["db"] {
    if (this.#closed) throw new HsmError("unavailable", "Policy store is closed");
    return this.#database.db;
  }
}
