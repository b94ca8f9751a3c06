/**
 * The AuditStore contract against the PostgreSQL adapter, and the shared chain: two
 * nodes' audit logs appending concurrently through `appendChained` build one gap-free,
 * verifiable chain; a forged head or a forked batch is refused.
 */

import assert from "node:assert/strict";
import { AuditLog } from "../../../src/audit/audit_log.ts";
import { signAnchor } from "../../../src/audit/anchor.ts";
import { entryHash } from "../../../src/audit/chain.ts";
import { verifyStore } from "../../../src/audit/verify.ts";
import type { AuditEntry } from "../../../src/domain/audit_entry.ts";
import { isHsmError } from "../../../src/domain/errors.ts";
import {
  PostgresAnchorStore,
  PostgresAuditStore,
} from "../../../src/storage/postgres/audit_store.ts";
import { chainOf, testMacKey } from "../../audit/_helpers.ts";
import { auditStoreContract } from "../audit_store_contract.ts";
import { openPgFixture, PG_SKIP, pgTest } from "./_fixture.ts";

if (PG_SKIP === "") {
  auditStoreContract("PostgresAuditStore", async () => {
    const pg = await openPgFixture();
    return { store: new PostgresAuditStore(pg.database), cleanup: () => pg.cleanup() };
  });
} else {
  Deno.test({ name: `PostgresAuditStore contract (skipped: ${PG_SKIP})`, ignore: true, fn() {} });
}

async function entries(store: PostgresAuditStore): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of store.scan()) out.push(e);
  return out;
}

pgTest(
  "PostgresAuditStore: two nodes' logs interleave into one gap-free verifiable chain",
  async () => {
    const pg = await openPgFixture();
    try {
      const macKey = await testMacKey();
      const stores = [pg.database, await pg.open("node-b")].map((d) => new PostgresAuditStore(d));
      const anchors = [pg.database, await pg.open("node-b2")].map((d) =>
        new PostgresAnchorStore(d)
      );
      const logs = await Promise.all(
        stores.map((store, i) => AuditLog.open(store, macKey, { anchor: anchors[i], maxBatch: 7 })),
      );
      const appended = await Promise.all(
        Array.from({ length: 120 }, (_, i) =>
          (logs[i % 2] as AuditLog).append({
            actor: `node${i % 2}`,
            action: "key.sign",
            result: "ok",
          })),
      );
      const seqs = appended.map((e) => e.seq).sort((a, b) => a - b);
      assert.deepEqual(seqs, Array.from({ length: 120 }, (_, i) => i + 1));
      const all = await entries(stores[0] as PostgresAuditStore);
      assert.equal(all.length, 120);
      assert.deepEqual(new Set(all.map((e) => e.actor)), new Set(["node0", "node1"]));
      const result = await verifyStore(stores[1] as PostgresAuditStore, macKey, anchors[0]);
      assert.deepEqual(result, {
        valid: true,
        entries: 120,
        head: entryHash(all[119] as AuditEntry),
      });
      const head = await anchors[1]?.read();
      assert.equal(head?.seq, 120);
      for (const log of logs) await log.close();
      // A node that opens later continues the same chain.
      const late = await AuditLog.open(stores[1] as PostgresAuditStore, macKey, {
        anchor: anchors[1],
      });
      assert.equal((await late.append({ actor: "late", action: "x", result: "ok" })).seq, 121);
      await late.close();
    } finally {
      await pg.cleanup();
    }
  },
);

pgTest("PostgresAuditStore: a batch chained after a forged head is refused", async () => {
  const pg = await openPgFixture();
  try {
    const macKey = await testMacKey();
    const store = new PostgresAuditStore(pg.database);
    const anchor = new PostgresAnchorStore(pg.database);
    const log = await AuditLog.open(store, macKey, { anchor });
    await log.append({ actor: "a", action: "x", result: "ok" });
    await pg.exec("UPDATE audit_head SET seq = 0");
    await assert.rejects(
      log.append({ actor: "a", action: "y", result: "ok" }),
      (err) => isHsmError(err, "audit_unavailable"),
    );
    assert.equal((await store.last())?.seq, 1);
    await log.close();
  } finally {
    await pg.cleanup();
  }
});

pgTest(
  "PostgresAuditStore: a second batch after the same head cannot commit (no fork)",
  async () => {
    const pg = await openPgFixture();
    try {
      const macKey = await testMacKey();
      const store = new PostgresAuditStore(pg.database);
      const [first] = await chainOf(macKey, 1);
      const [fork] = await chainOf(macKey, 1, { actor: "mallory" });
      await store.append([first as AuditEntry]);
      // Same prev_hash, another seq: refused by the unique index even though seq is free.
      await assert.rejects(store.append([{ ...(fork as AuditEntry), seq: 2 }]));
      assert.deepEqual(await entries(store), [first]);
    } finally {
      await pg.cleanup();
    }
  },
);

pgTest("PostgresAnchorStore: the head only moves forward", async () => {
  const pg = await openPgFixture();
  try {
    const macKey = await testMacKey();
    const anchor = new PostgresAnchorStore(pg.database);
    assert.equal(await anchor.read(), undefined);
    const five = await signAnchor(macKey, 5, "a".repeat(64));
    await anchor.write(five);
    await anchor.write(await signAnchor(macKey, 3, "b".repeat(64)));
    assert.deepEqual(await anchor.read(), five);
  } finally {
    await pg.cleanup();
  }
});
