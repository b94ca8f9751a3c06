/**
 * The ApprovalStore contract against the PostgreSQL adapter, plus what only a store
 * shared by several nodes must guarantee: no second vote by one actor, no approved state
 * below the quorum, one pending request per action and key across nodes.
 */

import { strict as assert } from "node:assert";
import { PostgresApprovalStore } from "../../../src/storage/postgres/approval_store.ts";
import {
  approvalContract,
  type ApprovalFixture,
  fakeApproval,
  next,
  query,
} from "../approval_store_contract.ts";
import { assertHsmError, rejectsWith } from "../key_store_contract.ts";
import { openPgFixture, PG_SKIP, pgTest } from "./_fixture.ts";

async function openPostgresApprovals(): Promise<ApprovalFixture> {
  const pg = await openPgFixture();
  let store = new PostgresApprovalStore(pg.database);
  return {
    get store() {
      return store;
    },
    async reopen() {
      await store.close();
      store = new PostgresApprovalStore(await pg.open());
    },
    async cleanup() {
      await store.close();
      await pg.cleanup();
    },
  };
}

if (PG_SKIP === "") {
  approvalContract("PostgresApprovalStore", openPostgresApprovals, true);
} else {
  Deno.test({
    name: `PostgresApprovalStore contract (skipped: ${PG_SKIP})`,
    ignore: true,
    fn() {},
  });
}

pgTest("PostgresApprovalStore: a malformed row is an integrity_error", async () => {
  const pg = await openPgFixture();
  try {
    const store = new PostgresApprovalStore(pg.database);
    const record = fakeApproval();
    await store.create(record);
    await pg.exec(`UPDATE approvals SET params = '{not json' WHERE id = '${record.id}'`);
    await rejectsWith(store.get(record.id), "integrity_error");
    await rejectsWith(store.list(query()), "integrity_error");
  } finally {
    await pg.cleanup();
  }
});

pgTest("PostgresApprovalStore: one actor's second vote is refused by constraint", async () => {
  const pg = await openPgFixture();
  try {
    const store = new PostgresApprovalStore(pg.database);
    const record = fakeApproval({ quorum: 3 });
    await store.create(record);
    const once = next(record, { approvals: [{ actor: "bob", at: "t1" }] });
    await store.update(once);
    const twice = next(once, {
      approvals: [{ actor: "bob", at: "t1" }, { actor: "bob", at: "t2" }],
    });
    await rejectsWith(store.update(twice), "conflict");
    assert.deepStrictEqual(await store.get(record.id), once);
  } finally {
    await pg.cleanup();
  }
});

pgTest("PostgresApprovalStore: approved below the quorum of stored votes is refused", async () => {
  const pg = await openPgFixture();
  try {
    const store = new PostgresApprovalStore(pg.database);
    const record = fakeApproval({ quorum: 2 });
    await store.create(record);
    const early = next(record, { approvals: [{ actor: "bob", at: "t1" }], state: "approved" });
    await rejectsWith(store.update(early), "conflict");
    assert.deepStrictEqual(await store.get(record.id), record);
  } finally {
    await pg.cleanup();
  }
});

pgTest(
  "PostgresApprovalStore: two nodes voting on one revision record exactly one vote",
  async () => {
    const pg = await openPgFixture();
    try {
      const a = new PostgresApprovalStore(pg.database);
      const b = new PostgresApprovalStore(await pg.open("node-b"));
      const record = fakeApproval({ quorum: 2 });
      await a.create(record);
      const results = await Promise.allSettled([
        a.update(next(record, { approvals: [{ actor: "bob", at: "t1" }] })),
        b.update(next(record, { approvals: [{ actor: "carol", at: "t1" }] })),
      ]);
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      const stored = await a.get(record.id);
      assert.equal(stored?.approvals.length, 1);
      const votes = await pg.database
        .sql`select actor from approval_votes where approval_id = ${record.id}`;
      assert.deepStrictEqual(votes.map((v) => v.actor), [stored?.approvals[0]?.actor]);
    } finally {
      await pg.cleanup();
    }
  },
);

pgTest("PostgresApprovalStore: one pending request per action and key across nodes", async () => {
  const pg = await openPgFixture();
  try {
    const a = new PostgresApprovalStore(pg.database);
    const b = new PostgresApprovalStore(await pg.open("node-b"));
    const at = "2026-01-01T00:00:00.000Z";
    const requests = Array.from(
      { length: 10 },
      () => fakeApproval({ keyId: "key_x", createdAt: at, expiresAt: "2026-01-02T00:00:00.000Z" }),
    );
    const results = await Promise.allSettled(
      requests.map((r, i) => (i % 2 === 0 ? a : b).createExclusive(r)),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) {
      if (r.status === "rejected") assertHsmError(r.reason, "conflict");
    }
    // Another key, or the same key once the pending one has expired, may be requested.
    await a.createExclusive(fakeApproval({ keyId: "key_y", createdAt: at }));
    await b.createExclusive(
      fakeApproval({ keyId: "key_x", createdAt: "2026-01-03T00:00:00.000Z" }),
    );
  } finally {
    await pg.cleanup();
  }
});
