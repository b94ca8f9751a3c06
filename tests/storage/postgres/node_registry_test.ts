/** The heartbeat table: registration, liveness, a crashed node's trace claimed once. */

import assert from "node:assert/strict";
import { NodeRegistry } from "../../../src/storage/postgres/node_registry.ts";
import { openPgFixture, pgTest } from "./_fixture.ts";

pgTest(
  "nodes register, count as live, and a restarted node finds its crashed registration",
  async () => {
    const pg = await openPgFixture("node-a");
    try {
      const a = new NodeRegistry(pg.database, { timeoutMs: 60_000 });
      const b = new NodeRegistry(await pg.open("node-b"), { timeoutMs: 60_000 });
      assert.equal(await a.register(10), undefined);
      assert.equal(await b.register(12), undefined);
      assert.equal(await a.liveCount(), 2);
      // node-a crashes (no deregister) and restarts under the same id.
      const again = new NodeRegistry(await pg.open("node-a"), { timeoutMs: 60_000 });
      assert.deepEqual(await again.register(40), { nodeId: "node-a", startSeq: 10 });
      assert.equal(await again.liveCount(), 2);
      await b.deregister();
      assert.equal(await a.liveCount(), 1);
      await again.deregister();
      assert.equal(await again.register(41), undefined, "a clean stop leaves no trace");
    } finally {
      await pg.cleanup();
    }
  },
);

pgTest(
  "a silent node is claimed by exactly one live node, and re-registers if it was only slow",
  async () => {
    const pg = await openPgFixture("node-a");
    try {
      const a = new NodeRegistry(pg.database, { timeoutMs: 60_000 });
      const b = new NodeRegistry(await pg.open("node-b"), { timeoutMs: 60_000 });
      const c = new NodeRegistry(await pg.open("node-c"), { timeoutMs: 60_000 });
      await a.register(1);
      await b.register(2);
      await c.register(3);
      await pg.exec(
        "update cluster_nodes set last_seen = now() - interval '2 minutes' where node_id = 'node-c'",
      );
      assert.equal(await a.liveCount(), 2);
      const claims = await Promise.all([a.claimDead(), b.claimDead()]);
      assert.deepEqual(claims.flat(), [{ nodeId: "node-c", startSeq: 3 }]);
      assert.equal(await c.beat(7), false, "its row was gone: registered again");
      assert.equal(await c.beat(7), true);
      assert.equal(await a.liveCount(), 3);
    } finally {
      await pg.cleanup();
    }
  },
);
