/** Runs the PolicyStore contract against the memory, file and SQLite adapters. */

import { FilePolicyStore } from "../../src/storage/file/policy_store.ts";
import { MemoryPolicyStore } from "../../src/storage/memory/policy_store.ts";
import { openDatabase } from "../../src/storage/sqlite/database.ts";
import { SqlitePolicyStore } from "../../src/storage/sqlite/policy_store.ts";
import { policyStoreContract } from "./policy_store_contract.ts";

policyStoreContract("MemoryPolicyStore", () => {
  const store = new MemoryPolicyStore();
  return Promise.resolve({ store, cleanup: () => store.close() });
});

policyStoreContract("FilePolicyStore", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm_policies_" });
  const fx = {
    store: await FilePolicyStore.open(`${dir}/policies`),
    async reopen() {
      await fx.store.close();
      fx.store = await FilePolicyStore.open(`${dir}/policies`);
    },
    async cleanup() {
      await fx.store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
  return fx;
}, { durable: true });

policyStoreContract("SqlitePolicyStore", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm_policies_" });
  let database = await openDatabase(`${dir}/p.db`);
  const fx = {
    store: new SqlitePolicyStore(database),
    async reopen() {
      await fx.store.close();
      database.close();
      database = await openDatabase(`${dir}/p.db`);
      fx.store = new SqlitePolicyStore(database);
    },
    async cleanup() {
      await fx.store.close();
      database.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
  return fx;
}, { durable: true });
