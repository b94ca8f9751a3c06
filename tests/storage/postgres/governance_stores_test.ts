/**
 * What a cluster shares for governance on PostgreSQL: archived audit segments and the
 * base (immutable segments, a replaced base, malformed rows refused), the retention
 * ledger (appends from two nodes chain one after the other), the sealed service key
 * (the first node's wins), and audit archiving end to end over the in-process services
 * (the live table shrinks, the chain verifies online and offline, across a restart).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { isHsmError } from "../../../src/domain/errors.ts";
import { PostgresAuditArchiveStore } from "../../../src/storage/postgres/audit_archive_store.ts";
import { PostgresLedgerStore } from "../../../src/storage/postgres/ledger_store.ts";
import { PostgresServiceKeys } from "../../../src/storage/postgres/service_keys.ts";
import { runCli } from "../../../testing/server_process.ts";
import { chainOf, testMacKey } from "../../audit/_helpers.ts";
import { makeTestApp } from "../../routes/_app.ts";
import { openPgFixture, pgTest } from "./_fixture.ts";

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

pgTest(
  "PostgresAuditArchiveStore: segments read back as written, once; the base is replaced",
  async () => {
    const pg = await openPgFixture();
    try {
      const archive = new PostgresAuditArchiveStore(pg.database);
      const entries = await chainOf(await testMacKey(), 6, { requestIds: true });
      const first = await archive.writeSegment(entries.slice(0, 4));
      assert.equal(first, "audit-000000000001-000000000004.log");
      assert.deepEqual(await collect(archive.readSegment(first)), entries.slice(0, 4));
      await assert.rejects(
        archive.writeSegment(entries.slice(0, 4)),
        (e) => isHsmError(e, "conflict"),
      );
      await assert.rejects(
        collect(archive.readSegment("audit-000000000009-000000000010.log")),
        (e) => isHsmError(e, "not_found"),
      );
      assert.equal(await archive.readBase(), undefined);
      const base = { seq: 4, hash: "a".repeat(64), segments: [first], mac: "b".repeat(96) };
      await archive.writeBase(base);
      assert.deepEqual(await archive.readBase(), base);
      const next = { ...base, seq: 6, segments: [first, "audit-000000000005-000000000006.log"] };
      await archive.writeBase(next);
      assert.deepEqual(await new PostgresAuditArchiveStore(await pg.open()).readBase(), next);

      await pg.exec(`UPDATE audit_archive_base SET body = '{"seq":"x"}'`);
      await assert.rejects(archive.readBase(), (e) => isHsmError(e, "integrity_error"));
      await pg.exec(`UPDATE audit_archive_segments SET entries = 'not json' || chr(10)`);
      await assert.rejects(
        collect(archive.readSegment(first)),
        (e) => isHsmError(e, "integrity_error"),
      );
    } finally {
      await pg.cleanup();
    }
  },
);

pgTest("PostgresLedgerStore: appends from two nodes chain one after the other", async () => {
  const pg = await openPgFixture();
  try {
    const nodes = [pg.database, await pg.open("node-b")].map((d) => new PostgresLedgerStore(d));
    assert.deepEqual(await nodes[0]?.lines(), []);
    // Each line names the one before it: a race would give two lines the same parent.
    const appended = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) =>
          (nodes[i % 2] as PostgresLedgerStore).append((last) =>
            Promise.resolve(
              `${last === undefined ? 0 : Number(last.split(" ")[0]) + 1} after ${last}`,
            )
          ),
      ),
    );
    const lines = await (nodes[1] as PostgresLedgerStore).lines();
    assert.equal(lines.length, 20);
    assert.deepEqual(
      lines.map((l) => Number(l.split(" ")[0])),
      Array.from({ length: 20 }, (_, i) => i),
    );
    for (let i = 1; i < lines.length; i++) {
      assert.equal(lines[i], `${i} after ${lines[i - 1]}`);
    }
    assert.deepEqual([...appended].sort(), [...lines].sort());
    await assert.rejects(
      (nodes[0] as PostgresLedgerStore).append(() => Promise.resolve("two\nlines")),
      TypeError,
    );
    assert.equal((await (nodes[0] as PostgresLedgerStore).lines()).length, 20, "nothing written");
  } finally {
    await pg.cleanup();
  }
});

pgTest("PostgresServiceKeys: the first sealed key stored wins for every node", async () => {
  const pg = await openPgFixture();
  try {
    const a = new PostgresServiceKeys(pg.database);
    const b = new PostgresServiceKeys(await pg.open("node-b"));
    assert.equal(await a.get("retention-attestation"), undefined);
    const [fromA, fromB] = await Promise.all([
      a.putOnce("retention-attestation", "sealed-a"),
      b.putOnce("retention-attestation", "sealed-b"),
    ]);
    assert.equal(fromA, fromB);
    assert.ok(fromA === "sealed-a" || fromA === "sealed-b");
    assert.equal(await b.putOnce("retention-attestation", "sealed-c"), fromA);
  } finally {
    await pg.cleanup();
  }
});

pgTest(
  "audit archiving on PostgreSQL: the live table shrinks and the chain verifies everywhere",
  async () => {
    const pg = await openPgFixture();
    const dir = await Deno.makeTempDir({ prefix: "ferrohsm-pg-archive-" });
    let now = Date.now();
    try {
      const classes = join(dir, "retention.yaml");
      await Deno.writeTextFile(
        classes,
        "version: 1\ndefault_class: standard\nclasses:\n  standard: {}\naudit:\n  archive_after_days: 30\n",
      );
      const stores = ["key", "audit", "approval"].flatMap((s) => [`--${s}-store`, "postgres"]);
      const t = await makeTestApp(
        ["--retention-config", classes, ...stores, "--postgres-url", pg.url],
        { clock: () => new Date(now), retentionScheduler: false },
      );
      try {
        const admin = await t.inst.token("admin", ["Administrator"]);
        const key = (await t.call(admin, "POST", "/api/v1/keys", {
          name: "k",
          algorithm: "AES-256-GCM",
        })).body;
        for (let i = 0; i < 3; i++) {
          await t.call(admin, "POST", `/api/v1/keys/${key.id}/encrypt`, { plaintext: btoa("x") });
        }
        await t.call(admin, "POST", `/api/v1/keys/${key.id}/rotate`);
        const before = (await t.call(admin, "GET", "/api/v1/audit/verify")).body;
        assert.equal(before.valid, true, JSON.stringify(before));
        now += 31 * 24 * 3600 * 1000;
        const run = (await t.call(admin, "POST", "/api/v1/retention/run")).body;
        assert.ok(run.archived_audit_entries >= before.entries - 1, JSON.stringify(run));
        const live = (await t.call(admin, "GET", "/api/v1/audit?limit=1000")).body.items;
        assert.ok(live[0].seq > 1, "the oldest entries left the live table");
        const after = (await t.call(admin, "GET", "/api/v1/audit/verify")).body;
        assert.equal(after.valid, true, JSON.stringify(after));
        await t.reopen();
        assert.equal((await t.call(admin, "GET", `/api/v1/keys/${key.id}`)).status, 200);
        assert.equal((await t.call(admin, "GET", "/api/v1/audit/verify")).body.valid, true);
        const offline = await runCli([
          "audit",
          "verify",
          "--hmac-key-file",
          t.inst.hmacKeyFile,
          "--audit-store",
          "postgres",
          "--key-store",
          "postgres",
          "--approval-store",
          "postgres",
          "--postgres-url",
          pg.url,
        ]);
        assert.equal(offline.code, 0, offline.stdout + offline.stderr);
        await pg.exec("DELETE FROM audit_archive_segments");
        const missing = (await t.call(admin, "GET", "/api/v1/audit/verify")).body;
        assert.deepEqual([missing.valid, missing.reason], [false, "archive_missing"]);
      } finally {
        await t.close();
      }
    } finally {
      await pg.cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
