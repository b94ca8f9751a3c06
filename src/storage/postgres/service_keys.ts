/**
 * Keys the service itself holds, sealed, on PostgreSQL (`service_keys`): one row per id
 * holding the sealed form as text, written once. Nodes starting together may each
 * generate one; the first insert wins and everyone reads the winner back, so the whole
 * cluster uses one key. Only sealed bytes are stored.
 */

import { eq } from "drizzle-orm";
import type { PostgresDatabase } from "./database.ts";
import { serviceKeys } from "./schema.ts";

/** The `service_keys` table. */
export class PostgresServiceKeys {
  readonly #database: PostgresDatabase;

  /** Over an open database (closed by its owner). */
  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  /** The sealed form stored under `id`, or undefined. */
  async get(id: string): Promise<string | undefined> {
    const rows = await this.#database.db.select({ sealed: serviceKeys.sealed })
      .from(serviceKeys).where(eq(serviceKeys.id, id)).limit(1);
    return rows[0]?.sealed;
  }

  /** Stores `sealed` under `id` unless a row exists; resolves with the stored form. */
  async putOnce(id: string, sealed: string): Promise<string> {
    await this.#database.db.insert(serviceKeys).values({ id, sealed }).onConflictDoNothing();
    const stored = await this.get(id);
    if (stored === undefined) throw new TypeError("The service key row vanished");
    return stored;
  }
}
