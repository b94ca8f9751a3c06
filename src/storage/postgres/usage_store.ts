/**
 * Usage counters in the shared `key_usage` table: each flush is one statement of upserts
 * (`operations = operations + excluded.operations`), so flushes from every node add up
 * and a flush is all or nothing. Counters are history, not key material, and outlive a
 * destroyed key's versions.
 */

import { eq, sql } from "drizzle-orm";
import { HsmError } from "../../domain/errors.ts";
import type { UsageDelta, UsageStore } from "../ports.ts";
import { assertUsageDeltas, isSafeId } from "../records.ts";
import type { PostgresDatabase } from "./database.ts";
import { keyUsage } from "./schema.ts";

/** Usage counters of every node of a cluster, over the `key_usage` table. */
export class PostgresUsageStore implements UsageStore {
  readonly #database: PostgresDatabase;
  #closed = false;

  /** Wraps an open database (owned by the caller). */
  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  /** Adds each delta to its counter in one statement (deltas of one version summed first). */
  async add(deltas: readonly UsageDelta[]): Promise<void> {
    assertUsageDeltas(deltas);
    if (deltas.length === 0) return;
    // One row per (key, version): an upsert may not touch the same row twice.
    const summed = new Map<string, { keyId: string; version: number; operations: number }>();
    for (const d of deltas) {
      const slot = `${d.keyId}\n${d.version}`;
      const row = summed.get(slot);
      if (row === undefined) {
        summed.set(slot, { keyId: d.keyId, version: d.version, operations: d.count });
      } else row.operations += d.count;
    }
    await this.#db().insert(keyUsage).values([...summed.values()]).onConflictDoUpdate({
      target: [keyUsage.keyId, keyUsage.version],
      set: { operations: sql`${keyUsage.operations} + excluded.operations` },
    });
  }

  /** The counters of one key, by version. */
  async get(keyId: string): Promise<Map<number, number>> {
    if (!isSafeId(keyId)) return new Map();
    const rows = await this.#db().select().from(keyUsage).where(eq(keyUsage.keyId, keyId));
    return new Map(rows.map((r) => [r.version, r.operations]));
  }

  /** Stops the store (the database belongs to the caller). */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #db(): PostgresDatabase["db"] {
    if (this.#closed) throw new HsmError("unavailable", "Usage store is closed");
    return this.#database.db;
  }
}
