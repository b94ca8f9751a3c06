/**
 * The UsageStore contract against the memory, file, SQLite and PostgreSQL adapters: deltas add up
 * per key version, concurrent flushes do not lose counts, counters survive a reopen
 * (durable adapters), malformed deltas are programmer errors, and a damaged counters
 * file is an integrity error.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { isHsmError } from "../../src/domain/errors.ts";
import type { UsageStore } from "../../src/storage/ports.ts";
import { FileUsageStore } from "../../src/storage/file/usage_store.ts";
import { MemoryUsageStore } from "../../src/storage/memory/usage_store.ts";
import { SqliteUsageStore } from "../../src/storage/sqlite/usage_store.ts";
import { openDatabase } from "../../src/storage/sqlite/database.ts";
import { PostgresUsageStore } from "../../src/storage/postgres/usage_store.ts";
import { openPgFixture, PG_SKIP } from "./postgres/_fixture.ts";

interface Fixture {
  store: UsageStore;
  reopen?: () => Promise<void>;
  cleanup(): Promise<void>;
}

const ADAPTERS: [string, () => Promise<Fixture>][] = [
  ["MemoryUsageStore", () => {
    const store = new MemoryUsageStore();
    return Promise.resolve({ store, cleanup: () => store.close() });
  }],
  ["FileUsageStore", async () => {
    const dir = await Deno.makeTempDir({ prefix: "ferrohsm-usage-" });
    const path = join(dir, "usage.json");
    const fx: Fixture = {
      store: await FileUsageStore.open(path),
      async reopen() {
        await fx.store.close();
        fx.store = await FileUsageStore.open(path);
      },
      async cleanup() {
        await fx.store.close();
        await Deno.remove(dir, { recursive: true });
      },
    };
    return fx;
  }],
  ["SqliteUsageStore", async () => {
    const dir = await Deno.makeTempDir({ prefix: "ferrohsm-usage-" });
    const path = join(dir, "ferrohsm.db");
    let db = await openDatabase(path);
    const fx: Fixture = {
      store: new SqliteUsageStore(db),
      async reopen() {
        await fx.store.close();
        db.close();
        db = await openDatabase(path);
        fx.store = new SqliteUsageStore(db);
      },
      async cleanup() {
        await fx.store.close();
        db.close();
        await Deno.remove(dir, { recursive: true });
      },
    };
    return fx;
  }],
  ...(PG_SKIP !== "" ? [] : [["PostgresUsageStore", async () => {
    const pg = await openPgFixture();
    const fx: Fixture = {
      store: new PostgresUsageStore(pg.database),
      async reopen() {
        await fx.store.close();
        fx.store = new PostgresUsageStore(await pg.open());
      },
      async cleanup() {
        await fx.store.close();
        await pg.cleanup();
      },
    };
    return fx;
  }] as [string, () => Promise<Fixture>]]),
];

if (PG_SKIP !== "") {
  Deno.test({ name: `PostgresUsageStore contract (skipped: ${PG_SKIP})`, ignore: true, fn() {} });
}

for (const [name, open] of ADAPTERS) {
  const test = (title: string, body: (fx: Fixture) => Promise<void>) =>
    Deno.test(`${name}: ${title}`, async () => {
      const fx = await open();
      try {
        await body(fx);
      } finally {
        await fx.cleanup();
      }
    });

  test("deltas add up per key version", async ({ store }) => {
    assert.deepEqual(await store.get("k1"), new Map());
    await store.add([{ keyId: "k1", version: 1, count: 3 }, { keyId: "k2", version: 1, count: 1 }]);
    await store.add([{ keyId: "k1", version: 1, count: 2 }, { keyId: "k1", version: 2, count: 7 }]);
    await store.add([]);
    assert.deepEqual(await store.get("k1"), new Map([[1, 5], [2, 7]]));
    assert.deepEqual(await store.get("k2"), new Map([[1, 1]]));
    assert.deepEqual(await store.get("../etc"), new Map());
  });

  test("deltas of one version in one flush add up", async ({ store }) => {
    await store.add([{ keyId: "k1", version: 1, count: 2 }, { keyId: "k1", version: 1, count: 5 }]);
    assert.deepEqual(await store.get("k1"), new Map([[1, 7]]));
  });

  test("concurrent flushes lose no count", async ({ store }) => {
    await Promise.all(
      Array.from({ length: 20 }, () => store.add([{ keyId: "k1", version: 1, count: 1 }])),
    );
    assert.equal((await store.get("k1")).get(1), 20);
  });

  test("counters survive a reopen where the adapter is durable", async (fx) => {
    await fx.store.add([{ keyId: "k1", version: 3, count: 11 }]);
    if (fx.reopen === undefined) return;
    await fx.reopen();
    assert.deepEqual(await fx.store.get("k1"), new Map([[3, 11]]));
  });

  test("malformed deltas are programmer errors", async ({ store }) => {
    for (
      const bad of [
        { keyId: "a/b", version: 1, count: 1 },
        { keyId: "k", version: 0, count: 1 },
        { keyId: "k", version: 1, count: 0 },
        { keyId: "k", version: 1, count: 1.5 },
      ]
    ) await assert.rejects(async () => await store.add([bad]), TypeError);
  });
}

Deno.test("a damaged counters file is an integrity error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-usage-" });
  try {
    const path = join(dir, "usage.json");
    for (const text of ["{", '{"format":2,"counts":{}}', '{"format":1,"counts":{"k":{"x":1}}}']) {
      await Deno.writeTextFile(path, text);
      await assert.rejects(FileUsageStore.open(path), (e) => isHsmError(e, "integrity_error"));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
