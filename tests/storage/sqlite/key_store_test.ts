/**
 * SqliteKeyStore specifics beyond the shared contract: the `key_tags` index follows
 * every write, a lost race leaves no row behind, and database ownership on close.
 */

import { strict as assert } from "node:assert";
import { type Database, openDatabase } from "../../../src/storage/sqlite/database.ts";
import { SqliteKeyStore } from "../../../src/storage/sqlite/key_store.ts";
import { rejectsWith } from "../key_store_contract.ts";
import { fakeRecord, fakeVersion, nextRecord } from "../key_store_fixtures.ts";

async function withDatabase(body: (database: Database) => Promise<void>): Promise<void> {
  const database = await openDatabase(":memory:");
  try {
    await body(database);
  } finally {
    database.close();
  }
}

async function tagRows(database: Database, keyId: string): Promise<string[]> {
  const rs = await database.client.execute({
    sql: "SELECT tag_key, tag_value FROM key_tags WHERE key_id = ? ORDER BY tag_key",
    args: [keyId],
  });
  return rs.rows.map((r) => `${r.tag_key}=${r.tag_value}`);
}

async function countRows(database: Database, table: string, keyId: string): Promise<number> {
  const rs = await database.client.execute({
    sql: `SELECT COUNT(*) AS n FROM ${table} WHERE key_id = ?`,
    args: [keyId],
  });
  return Number(rs.rows[0]?.n);
}

Deno.test("key_tags follows the record's tags through create, update and destroy", async () => {
  await withDatabase(async (database) => {
    const store = new SqliteKeyStore(database);
    const record = fakeRecord({ tags: { env: "prod", team: "core" } });
    await store.create(record, fakeVersion(record, 1));
    assert.deepStrictEqual(await tagRows(database, record.id), ["env=prod", "team=core"]);
    const retagged = nextRecord(record, { tags: { env: "dev" } });
    await store.update(retagged);
    assert.deepStrictEqual(await tagRows(database, record.id), ["env=dev"]);
    await rejectsWith(store.update(nextRecord(record, { tags: { lost: "race" } })), "conflict");
    assert.deepStrictEqual(await tagRows(database, record.id), ["env=dev"]);
    await store.destroy(nextRecord(retagged, { state: "destroyed", tags: {} }));
    assert.deepStrictEqual(await tagRows(database, record.id), []);
  });
});

Deno.test("a lost race leaves no version row behind", async () => {
  await withDatabase(async (database) => {
    const store = new SqliteKeyStore(database);
    const record = fakeRecord();
    await store.create(record, fakeVersion(record, 1));
    await store.update(nextRecord(record, { currentVersion: 2 }), fakeVersion(record, 2));
    const stale = nextRecord(record, { currentVersion: 3 });
    await rejectsWith(store.update(stale, fakeVersion(record, 3)), "conflict");
    assert.equal(await countRows(database, "key_versions", record.id), 2);
  });
});

Deno.test("destroy deletes the version rows of that key only", async () => {
  await withDatabase(async (database) => {
    const store = new SqliteKeyStore(database);
    const doomed = fakeRecord();
    const kept = fakeRecord();
    await store.create(doomed, fakeVersion(doomed, 1));
    await store.create(kept, fakeVersion(kept, 1));
    await store.destroy(nextRecord(doomed, { state: "destroyed" }));
    assert.equal(await countRows(database, "key_versions", doomed.id), 0);
    assert.equal(await countRows(database, "key_versions", kept.id), 1);
  });
});

Deno.test("closing a store leaves a shared database open", async () => {
  await withDatabase(async (database) => {
    const store = new SqliteKeyStore(database);
    await store.close();
    const rs = await database.client.execute("SELECT COUNT(*) AS n FROM keys");
    assert.equal(Number(rs.rows[0]?.n), 0);
  });
});

Deno.test("closing a store that owns its database closes it", async () => {
  const database = await openDatabase(":memory:");
  const store = new SqliteKeyStore(database, { ownsDatabase: true });
  await store.close();
  assert.equal(database.client.closed, true);
});

/** True when `needle` occurs in `haystack`. */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

async function readIfAny(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch {
    return new Uint8Array(0);
  }
}

Deno.test("a purge leaves no byte of the sealed material in the database file or its WAL", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm_purge_" });
  const path = `${dir}/purge.db`;
  const database = await openDatabase(path);
  try {
    const store = new SqliteKeyStore(database);
    const record = fakeRecord();
    await store.create(record, fakeVersion(record, 1));
    let current = record;
    const versions = [];
    for (let v = 2; v <= 6; v++) {
      versions.push(
        fakeVersion(record, v, { ciphertext: crypto.getRandomValues(new Uint8Array(1500)) }),
      );
      current = nextRecord(current, { currentVersion: v });
      await store.update(current, versions[versions.length - 1]);
    }
    const marker = new Uint8Array((versions[1] as { ciphertext: Uint8Array }).ciphertext);
    await database.client.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    assert.ok(contains(await Deno.readFile(path), marker), "the material is on disk first");
    await store.purgeVersion(record.id, 3, new Date().toISOString());
    assert.equal(contains(await Deno.readFile(path), marker), false, "database file");
    assert.equal(contains(await readIfAny(`${path}-wal`), marker), false, "write-ahead log");
  } finally {
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parallel creations committed as one group write every key, version and tag row", async () => {
  await withDatabase(async (database) => {
    const store = new SqliteKeyStore(database);
    const records = Array.from(
      { length: 30 },
      (_, i) => fakeRecord({ tags: i % 3 === 0 ? {} : { env: `e${i}`, team: "core" } }),
    );
    await Promise.all(records.map((r) => store.create(r, fakeVersion(r, 1))));
    for (const [i, r] of records.entries()) {
      assert.deepStrictEqual(await store.get(r.id), r);
      assert.equal(await countRows(database, "key_versions", r.id), 1);
      assert.deepStrictEqual(
        await tagRows(database, r.id),
        i % 3 === 0 ? [] : [`env=e${i}`, "team=core"],
      );
    }
  });
});
