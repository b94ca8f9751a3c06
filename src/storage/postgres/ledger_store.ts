/**
 * The retention ledger on PostgreSQL, shared by every node: one row per line, numbered
 * from 1 (`position`). An append runs in one transaction that first takes an exclusive
 * lock on the table (readers still read), reads the last line, inserts the line built
 * from it and commits; so appends from every node queue and the receipt chain stays
 * linear. Lines never change once written.
 */

import { asc, desc, sql } from "drizzle-orm";
import { HsmError } from "../../domain/errors.ts";
import type { LedgerStore } from "../ports.ts";
import type { PostgresDatabase } from "./database.ts";
import { retentionLedger } from "./schema.ts";

/** A LedgerStore over the `retention_ledger` table (the caller owns the database). */
export class PostgresLedgerStore implements LedgerStore {
  readonly #database: PostgresDatabase;
  #closed = false;

  /** A store over an open database. */
  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  /** Appends under the table lock: read the last line, insert the next, commit. */
  async append(next: (last: string | undefined) => Promise<string>): Promise<string> {
    const db = this.#db();
    return await db.transaction(async (tx) => {
      await tx.execute(sql`lock table ${retentionLedger} in exclusive mode`);
      const rows = await tx.select().from(retentionLedger)
        .orderBy(desc(retentionLedger.position)).limit(1);
      const line = await next(rows[0]?.line);
      if (line.includes("\n")) throw new TypeError("A ledger line has no newline");
      await tx.insert(retentionLedger).values({ position: (rows[0]?.position ?? 0) + 1, line });
      return line;
    });
  }

  /** Every committed line, in order. */
  async lines(): Promise<string[]> {
    const rows = await this.#db().select({ line: retentionLedger.line }).from(retentionLedger)
      .orderBy(asc(retentionLedger.position));
    return rows.map((r) => r.line);
  }

  /** Stops the store (the database is closed by its owner). */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #db(): PostgresDatabase["db"] {
    if (this.#closed) throw new HsmError("unavailable", "Retention ledger is closed");
    return this.#database.db;
  }
}
