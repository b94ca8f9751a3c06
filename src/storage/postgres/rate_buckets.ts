/**
 * Strict, cluster-wide token buckets in the `rate_buckets` table, for the few actions
 * whose limit must hold exactly whatever node serves them (key destruction, import):
 * one `INSERT ... ON CONFLICT DO UPDATE ... WHERE` statement refills the bucket by the
 * time elapsed (database clock) and takes a token only when one is there, under the
 * row lock, so concurrent nodes can never both take the last token. A refusal writes
 * nothing and says how long until a token is back.
 */

import { sql } from "drizzle-orm";
import type { PostgresDatabase } from "./database.ts";

/** A limit: sustained rate per second and bucket size. */
export interface BucketLimit {
  readonly rps: number;
  readonly burst: number;
}

/** The answer of `take`. */
export type BucketDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterS: number };

/** Token buckets shared by every node. */
export class PostgresRateBuckets {
  readonly #database: PostgresDatabase;

  /** Buckets over an open database. */
  constructor(database: PostgresDatabase) {
    this.#database = database;
  }

  /** Takes one token from `key`'s bucket, or says how many whole seconds to wait. */
  async take(key: string, limit: BucketLimit): Promise<BucketDecision> {
    if (!(limit.rps > 0) || !(limit.burst >= 1)) throw new RangeError("Invalid bucket limit");
    const refilled =
      sql`least(${limit.burst}::float8, rate_buckets.tokens + extract(epoch from now() - rate_buckets.updated_at) * ${limit.rps}::float8)`;
    const taken = await this.#database.db.execute<{ tokens: number }>(sql`
      insert into rate_buckets (key, tokens, updated_at)
      values (${key}, ${limit.burst - 1}::float8, now())
      on conflict (key) do update set tokens = ${refilled} - 1, updated_at = now()
      where ${refilled} >= 1
      returning tokens`);
    if (taken.length === 1) return { allowed: true };
    const rows = await this.#database.db.execute<{ tokens: number }>(sql`
      select least(${limit.burst}::float8, tokens + extract(epoch from now() - updated_at) * ${limit.rps}::float8) as tokens
      from rate_buckets where key = ${key}`);
    const tokens = Number(rows[0]?.tokens ?? 0);
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil((1 - tokens) / limit.rps)) };
  }
}
