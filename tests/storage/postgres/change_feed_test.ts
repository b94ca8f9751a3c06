/**
 * The change feed between nodes: a committed change reaches the other node at once, a
 * rolled-back one never, a node ignores its own; a lost LISTEN connection drops every
 * cache, and again once it is back.
 */

import assert from "node:assert/strict";
import {
  type Change,
  parseChange,
  PostgresChangeFeed,
} from "../../../src/storage/postgres/change_feed.ts";
import { PostgresKeyStore } from "../../../src/storage/postgres/key_store.ts";
import { fakeRecord, fakeVersion, nextRecord } from "../key_store_fixtures.ts";
import { openPgFixture, pgTest } from "./_fixture.ts";

/** Waits (bounded) until `done()` holds. */
async function until(done: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("change payloads parse strictly", () => {
  assert.deepEqual(parseChange("node-a\tkey\tk1"), { node: "node-a", kind: "key", id: "k1" });
  assert.deepEqual(parseChange("node-a\tkeyset\t"), { node: "node-a", kind: "keyset", id: "" });
  assert.equal(parseChange("node-a\tsecret\tk1"), undefined);
  assert.equal(parseChange("node-a\tkey"), undefined);
  assert.equal(parseChange("node-a\tkey\tk1\textra"), undefined);
});

pgTest(
  "a key written on node B is announced to node A within a second, its own writes not",
  async () => {
    const pg = await openPgFixture("node-a");
    const changes: Change[] = [];
    const feed = await PostgresChangeFeed.start(pg.database, {
      onChange: (c) => changes.push(c),
      onReset: () => {},
    });
    try {
      const storeA = new PostgresKeyStore(pg.database);
      const storeB = new PostgresKeyStore(await pg.open("node-b"));
      const own = fakeRecord();
      await storeA.create(own, fakeVersion(own, 1));
      const record = fakeRecord();
      const started = performance.now();
      await storeB.create(record, fakeVersion(record, 1));
      await until(() => changes.length > 0, 1000);
      assert.ok(performance.now() - started < 1000);
      // A write that loses its revision check rolls back: no notification.
      await assert.rejects(storeB.update(nextRecord(nextRecord(record))));
      await storeB.update(nextRecord(record, { state: "revoked" }));
      await until(() => changes.length >= 2);
      assert.deepEqual(changes, [
        { node: "node-b", kind: "key", id: record.id },
        { node: "node-b", kind: "key", id: record.id },
      ]);
      assert.equal(feed.stats().connected, true);
    } finally {
      await feed.close();
      await pg.cleanup();
    }
  },
);

pgTest("a lost LISTEN connection drops every cache, and again once it is back", async () => {
  const pg = await openPgFixture("node-a");
  let resets = 0;
  const changes: Change[] = [];
  const feed = await PostgresChangeFeed.start(pg.database, {
    onChange: (c) => changes.push(c),
    onReset: () => resets++,
    probeIntervalMs: 100,
  });
  try {
    await pg.exec(
      "select pg_terminate_backend(pid) from pg_stat_activity where query ilike 'listen%'",
    );
    await until(() => resets >= 1);
    await until(() => feed.stats().connected);
    const after = resets;
    assert.ok(after >= 2, `dropped on loss and on reconnect (${after})`);
    // Notifications flow again.
    const other = await pg.open("node-b");
    const record = fakeRecord();
    await new PostgresKeyStore(other).create(record, fakeVersion(record, 1));
    await until(() => changes.length === 1);
  } finally {
    await feed.close();
    await pg.cleanup();
  }
});
