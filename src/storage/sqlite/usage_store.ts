/**
 * Usage counters in the `key_usage` table: each flush is one batch of upserts
 * (`operations = operations + excluded.operations`), so concurrent flushes add up and a
 * flush is all or nothing. Counters outlive a destroyed key's versions (they are
 * history, not key material).
 */

import { eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { HsmError } from "../../domain/errors.ts";
import type { UsageDelta, UsageStore } from "../ports.ts";
import { assertUsageDeltas, isSafeId } from "../records.ts";
import type { Database } from "./database.ts";
import { keyUsage } from "./schema.ts";

/** Usage counters over the `key_usage` table of a shared database. */
export class SqliteUsageStore implements UsageStore {
  readonly #database: Database;
  #closed = false;

  /** Wraps an open database (owned by the caller). */
  constructor(database: Database) {
    this.#database = database;
  }

  async add(deltas: readonly UsageDelta[]): Promise<void> {
    assertUsageDeltas(deltas);
    const db = this.#db();
    const statements: BatchItem<"sqlite">[] = deltas.map((d) =>
      db.insert(keyUsage).values({ keyId: d.keyId, version: d.version, operations: d.count })
        .onConflictDoUpdate({
          target: [keyUsage.keyId, keyUsage.version],
          set: { operations: sql`${keyUsage.operations} + excluded.operations` },
        })
    );
    const [first, ...rest] = statements;
    if (first !== undefined) await db.batch([first, ...rest]);
  }

  async get(keyId: string): Promise<Map<number, number>> {
    const db = this.#db();
    if (!isSafeId(keyId)) return new Map();
    const rows = await db.select().from(keyUsage).where(eq(keyUsage.keyId, keyId));
    return new Map(rows.map((r) => [r.version, r.operations]));
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #db(): Database["db"] {
    if (this.#closed) throw new HsmError("unavailable", "Usage store is closed");
    return this.#database.db;
  }
}
