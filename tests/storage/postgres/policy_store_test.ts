/** Runs the PolicyStore contract against the PostgreSQL adapter. */

import { PostgresPolicyStore } from "../../../src/storage/postgres/policy_store.ts";
import { policyStoreContract } from "../policy_store_contract.ts";
import { openPgFixture, PG_SKIP } from "./_fixture.ts";

if (PG_SKIP === "") {
  policyStoreContract("PostgresPolicyStore", async () => {
    const pg = await openPgFixture();
    const fx = {
      store: new PostgresPolicyStore(pg.database),
      async reopen() {
        await fx.store.close();
        fx.store = new PostgresPolicyStore(await pg.open());
      },
      async cleanup() {
        await fx.store.close();
        await pg.cleanup();
      },
    };
    return fx;
  }, { durable: true });
} else {
  Deno.test({ name: `PostgresPolicyStore contract (skipped: ${PG_SKIP})`, ignore: true, fn() {} });
}
