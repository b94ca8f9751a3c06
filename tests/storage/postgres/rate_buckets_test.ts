/** Strict buckets in the database: exact across nodes, refilled by the database clock. */

import assert from "node:assert/strict";
import { PostgresRateBuckets } from "../../../src/storage/postgres/rate_buckets.ts";
import { openPgFixture, pgTest } from "./_fixture.ts";

pgTest("two nodes taking concurrently never exceed the burst together", async () => {
  const pg = await openPgFixture("node-a");
  try {
    const a = new PostgresRateBuckets(pg.database);
    const b = new PostgresRateBuckets(await pg.open("node-b"));
    const limit = { rps: 1 / 60, burst: 5 };
    const decisions = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).take("destroy|alice", limit)),
    );
    assert.equal(decisions.filter((d) => d.allowed).length, 5);
    const refused = decisions.find((d) => !d.allowed);
    assert.ok(refused !== undefined && !refused.allowed && refused.retryAfterS >= 50);
    assert.equal((await a.take("destroy|bob", limit)).allowed, true, "buckets are per key");
    // A minute later one token is back.
    await pg.exec("update rate_buckets set updated_at = updated_at - interval '61 seconds'");
    assert.equal((await b.take("destroy|alice", limit)).allowed, true);
    assert.equal((await a.take("destroy|alice", limit)).allowed, false);
    await assert.rejects(a.take("k", { rps: 0, burst: 1 }), RangeError);
  } finally {
    await pg.cleanup();
  }
});
