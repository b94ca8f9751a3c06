/**
 * The ApprovalStore contract, run against the memory and SQLite adapters, plus SQLite
 * durability across a reopen and integrity errors for malformed rows.
 */

import { MemoryApprovalStore } from "../../src/storage/memory/approval_store.ts";
import { openDatabase } from "../../src/storage/sqlite/database.ts";
import { SqliteApprovalStore } from "../../src/storage/sqlite/approval_store.ts";
import {
  approvalContract,
  type ApprovalFixture,
  fakeApproval,
  query,
} from "./approval_store_contract.ts";
import { rejectsWith } from "./key_store_contract.ts";

function openMemory(): Promise<ApprovalFixture> {
  const store = new MemoryApprovalStore();
  return Promise.resolve({ store, cleanup: () => store.close() });
}

async function openSqlite(): Promise<ApprovalFixture> {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm_approvals_" });
  const path = `${dir}/ferrohsm.db`;
  let database = await openDatabase(path);
  let store = new SqliteApprovalStore(database, { ownsDatabase: true });
  return {
    get store() {
      return store;
    },
    async reopen() {
      await store.close();
      database = await openDatabase(path);
      store = new SqliteApprovalStore(database, { ownsDatabase: true });
    },
    database: () => database,
    async cleanup() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

approvalContract("MemoryApprovalStore", openMemory, false);
approvalContract("SqliteApprovalStore", openSqlite, true);

Deno.test("SqliteApprovalStore: a malformed row is an integrity_error", async () => {
  const fx = await openSqlite();
  try {
    const record = fakeApproval();
    await fx.store.create(record);
    await fx.database?.().client.execute({
      sql: "UPDATE approvals SET params = '{not json' WHERE id = ?",
      args: [record.id],
    });
    await rejectsWith(fx.store.get(record.id), "integrity_error");
    await rejectsWith(fx.store.list(query()), "integrity_error");
  } finally {
    await fx.cleanup();
  }
});
