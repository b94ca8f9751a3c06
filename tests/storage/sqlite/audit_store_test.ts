import assert from "node:assert/strict";
import type { AuditEntry } from "../../../src/domain/audit_entry.ts";
import { openDatabase } from "../../../src/storage/sqlite/database.ts";
import { SqliteAuditStore } from "../../../src/storage/sqlite/audit_store.ts";
import { AuditWriterThread } from "../../../src/storage/sqlite/audit_writer.ts";
import { chainOf, tempDir, testMacKey } from "../../audit/_helpers.ts";
import { auditStoreContract } from "../audit_store_contract.ts";

auditStoreContract("SqliteAuditStore (in memory)", async () => {
  const database = await openDatabase(":memory:");
  return {
    store: new SqliteAuditStore(database),
    cleanup: () => Promise.resolve(database.close()),
  };
});

auditStoreContract("SqliteAuditStore (file)", async () => {
  const dir = await tempDir();
  const database = await openDatabase(`${dir}/ferrohsm.db`);
  return {
    store: new SqliteAuditStore(database),
    cleanup: async () => {
      database.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});

Deno.test("SqliteAuditStore writes a batch atomically: a failing batch stores nothing", async () => {
  const database = await openDatabase(":memory:");
  try {
    const store = new SqliteAuditStore(database);
    const entries = await chainOf(await testMacKey(), 250);
    await store.append(entries.slice(0, 2));
    // Rows 3..250 then a duplicate of seq 1: the last INSERT of the batch fails.
    await assert.rejects(store.append([...entries.slice(2), entries[0] as AuditEntry]));
    assert.equal((await store.last())?.seq, 2);
    await store.append(entries.slice(2));
    assert.equal((await store.last())?.seq, 250);
  } finally {
    database.close();
  }
});

Deno.test("SqliteAuditStore.close leaves the shared database open", async () => {
  const database = await openDatabase(":memory:");
  try {
    const store = new SqliteAuditStore(database);
    await store.close();
    assert.equal(await store.last(), undefined);
  } finally {
    database.close();
  }
});

auditStoreContract("SqliteAuditStore (file, writer thread)", async () => {
  const dir = await tempDir();
  const database = await openDatabase(`${dir}/ferrohsm.db`);
  const store = new SqliteAuditStore(database, {
    writer: await AuditWriterThread.start(`${dir}/ferrohsm.db`),
  });
  return {
    store,
    cleanup: async () => {
      await store.close();
      database.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});

Deno.test("the writer thread commits a batch of several statements atomically, visible to readers", async () => {
  const dir = await tempDir();
  const path = `${dir}/ferrohsm.db`;
  const database = await openDatabase(path);
  const store = new SqliteAuditStore(database, { writer: await AuditWriterThread.start(path) });
  try {
    // 600 entries: the worker inserts up to 256 rows per statement, so a batch spans
    // three statements and the duplicate fails the last one.
    const entries = await chainOf(await testMacKey(), 600);
    await store.append(entries.slice(0, 2));
    assert.equal((await store.last())?.seq, 2, "the main connection reads the worker's commit");
    await assert.rejects(store.append([...entries.slice(2), entries[0] as AuditEntry]));
    assert.equal((await store.last())?.seq, 2, "a failing batch stores nothing");
    await store.append(entries.slice(2));
    assert.deepEqual(await store.list(0, 1000), entries, "every row stored as given, in order");
  } finally {
    await store.close();
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
  await assert.rejects(store.append([]).then(() => store.append([{} as AuditEntry])));
});
