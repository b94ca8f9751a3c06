/**
 * Audit log retention over the real services: entries older than the window move to an
 * archive segment, the live log keeps the newest and a journal checkpoint, and the chain
 * still verifies as a whole (online, offline with `ferrohsm audit verify`, and after a
 * restart that rebuilds the record journal from the live log alone). A replayed record
 * is still caught after its commits were archived; a missing segment or an edited base
 * is reported.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../../testing/server_process.ts";
import { makeTestApp, type TestApp } from "../routes/_app.ts";

const DAY = 24 * 3600 * 1000;
const MSG = btoa("archive me");

const RETENTION = `version: 1
default_class: standard
classes:
  standard: {}
audit:
  archive_after_days: 30
`;

async function withApp(
  auditStore: "file" | "sqlite",
  fn: (t: TestApp, admin: string, advance: (ms: number) => void) => Promise<void>,
): Promise<void> {
  let now = Date.now();
  const dir = await Deno.makeTempDir();
  const config = join(dir, "retention.yaml");
  await Deno.writeTextFile(config, RETENTION);
  const t = await makeTestApp(
    ["--retention-config", config, "--audit-store", auditStore],
    { clock: () => new Date(now), retentionScheduler: false },
  );
  try {
    await fn(t, await t.inst.token("admin", ["Administrator"]), (ms) => {
      now += ms;
    });
  } finally {
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function busyLog(t: TestApp, admin: string): Promise<string> {
  const key = (await t.call(admin, "POST", "/api/v1/keys", { name: "k", algorithm: "AES-256-GCM" }))
    .body;
  for (let i = 0; i < 5; i++) {
    await t.call(admin, "POST", `/api/v1/keys/${key.id}/encrypt`, { plaintext: MSG });
  }
  await t.call(admin, "POST", `/api/v1/keys/${key.id}/rotate`);
  return key.id;
}

Deno.test("archived entries leave the live log; the chain, journal and records still verify", async () => {
  await withApp("file", async (t, admin, advance) => {
    const keyId = await busyLog(t, admin);
    const before = (await t.call(admin, "GET", "/api/v1/audit/verify")).body;
    assert.equal(before.valid, true);
    assert.equal(
      (await t.call(admin, "POST", "/api/v1/retention/run")).body.archived_audit_entries,
      0,
      "nothing is old enough yet",
    );
    advance(31 * DAY);
    const run = (await t.call(admin, "POST", "/api/v1/retention/run")).body;
    assert.ok(run.archived_audit_entries >= before.entries - 1, JSON.stringify(run));
    const live = (await t.call(admin, "GET", "/api/v1/audit?limit=1000")).body.items;
    assert.ok(live[0].seq > 1, "the oldest entries left the live log");
    assert.ok(live.some((e: { action: string }) => e.action === "journal.checkpoint"));
    const after = (await t.call(admin, "GET", "/api/v1/audit/verify")).body;
    assert.equal(after.valid, true, JSON.stringify(after));
    assert.ok(after.entries > before.entries, "entries count the whole chain");

    // A restart rebuilds the journal from the live log: records still verify and work.
    await t.reopen();
    assert.equal((await t.call(admin, "GET", `/api/v1/keys/${keyId}`)).status, 200);
    assert.equal(
      (await t.call(admin, "POST", `/api/v1/keys/${keyId}/encrypt`, { plaintext: MSG })).status,
      200,
    );
    assert.equal((await t.call(admin, "GET", "/api/v1/audit/verify")).body.valid, true);

    const offline = await runCli([
      "audit",
      "verify",
      "--data-dir",
      t.inst.dataDir,
      "--hmac-key-file",
      t.inst.hmacKeyFile,
      "--audit-store",
      "file",
    ]);
    assert.equal(offline.code, 0, offline.stdout + offline.stderr);
    assert.match(offline.stdout, /audit log intact/);

    // A second archive run continues the chain with a second segment.
    await t.call(admin, "POST", `/api/v1/keys/${keyId}/rotate`);
    advance(31 * DAY);
    assert.ok(
      (await t.call(admin, "POST", "/api/v1/retention/run")).body.archived_audit_entries > 0,
    );
    assert.equal((await t.call(admin, "GET", "/api/v1/audit/verify")).body.valid, true);
    const archiveDir = join(t.inst.dataDir, "audit", "archive");
    const segments = [...Deno.readDirSync(archiveDir)].map((e) => e.name)
      .filter((n) => n.startsWith("audit-")).sort();
    assert.equal(segments.length, 2);

    // Damage: a missing segment, then an edited base.
    const first = join(archiveDir, segments[0] as string);
    const saved = await Deno.readFile(first);
    await Deno.remove(first);
    const missing = (await t.call(admin, "GET", "/api/v1/audit/verify")).body;
    assert.deepEqual([missing.valid, missing.reason], [false, "archive_missing"]);
    await Deno.writeFile(first, saved);
    const basePath = join(archiveDir, "base.json");
    const base = JSON.parse(await Deno.readTextFile(basePath));
    await Deno.writeTextFile(basePath, JSON.stringify({ ...base, seq: base.seq - 1 }));
    const edited = (await t.call(admin, "GET", "/api/v1/audit/verify")).body;
    assert.deepEqual([edited.valid, edited.reason], [false, "archive_mismatch"]);
    await Deno.writeTextFile(basePath, JSON.stringify(base));
    assert.equal((await t.call(admin, "GET", "/api/v1/audit/verify")).body.valid, true);
  });
});

Deno.test("a record replayed after its commits were archived is still refused", async () => {
  await withApp("sqlite", async (t, admin, advance) => {
    const keyId = await busyLog(t, admin);
    const db = t.services.stores;
    const old = await db.keys.get(keyId);
    assert.ok(old !== undefined);
    await t.call(admin, "POST", `/api/v1/keys/${keyId}/revoke`);
    advance(31 * DAY);
    assert.ok(
      (await t.call(admin, "POST", "/api/v1/retention/run")).body.archived_audit_entries > 0,
    );
    // Put the pre-revocation row back (a replayed backup) and restart.
    const { SqliteKeyStore } = await import("../../src/storage/sqlite/key_store.ts");
    assert.ok(db.keys instanceof SqliteKeyStore);
    await t.shutdown();
    const { openDatabase } = await import("../../src/storage/sqlite/database.ts");
    const raw = await openDatabase(join(t.inst.dataDir, "ferrohsm.db"));
    await raw.client.execute({
      sql: "UPDATE keys SET state = ?, revision = ?, updated_at = ?, mac = ? WHERE id = ?",
      args: [old.state, old.revision, old.updatedAt, old.mac, keyId],
    });
    raw.close();
    await t.reopen();
    const read = await t.call(admin, "GET", `/api/v1/keys/${keyId}`);
    assert.equal(read.status, 422, "the checkpoint still names the revoked revision");
  });
});
