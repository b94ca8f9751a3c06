/**
 * Attack: a thief (or insider) with write access to the data dir replays an older copy
 * of a key row — its MAC is valid — to un-revoke a key, undo a rotation, or bring a
 * destroyed key back. The record journal in the audit chain notices: the row answers
 * 422 `integrity_error`, and online and offline verification report `record_rollback`.
 * A write cut short by a crash (committed in the log, not in the store) is reconciled
 * at the next start instead, with an audit entry saying so.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type Client, createClient, type InValue } from "@libsql/client";
import { runCli } from "../../testing/server_process.ts";
import { makeTestApp, type TestApp } from "./_app.ts";

const B64 = btoa("rollback");

async function snapshot(db: Client, table: string, id: string): Promise<Record<string, InValue>[]> {
  const column = table === "keys" ? "id" : "key_id";
  const rows = await db.execute({ sql: `SELECT * FROM ${table} WHERE ${column} = ?`, args: [id] });
  return rows.rows.map((r) => Object.fromEntries(rows.columns.map((c, i) => [c, r[i] as InValue])));
}

async function restore(db: Client, table: string, rows: Record<string, InValue>[]): Promise<void> {
  for (const row of rows) {
    const cols = Object.keys(row);
    await db.execute({
      sql: `INSERT OR REPLACE INTO ${table} (${cols.join(", ")}) VALUES (${
        cols.map(() => "?").join(", ")
      })`,
      args: cols.map((c) => row[c] as InValue),
    });
  }
}

async function withApp(fn: (t: TestApp, db: Client, admin: string) => Promise<void>) {
  const t = await makeTestApp();
  const db = createClient({ url: `file:${join(t.inst.dataDir, "ferrohsm.db")}` });
  try {
    await fn(t, db, await t.inst.token("alice", ["Administrator"]));
  } finally {
    db.close();
    await t.close();
  }
}

async function offlineVerify(t: TestApp): Promise<{ code: number; stdout: string }> {
  return await runCli([
    "audit",
    "verify",
    "--data-dir",
    t.inst.dataDir,
    "--hmac-key-file",
    t.inst.hmacKeyFile,
    "--json",
  ]);
}

Deno.test("replaying a key row from before a revoke answers 422 and verification reports it", async () => {
  await withApp(async (t, db, admin) => {
    const key =
      (await t.call(admin, "POST", "/api/v1/keys", { name: "k", algorithm: "AES-256-GCM" }))
        .body;
    const before = await snapshot(db, "keys", key.id);
    assert.equal((await t.call(admin, "POST", `/api/v1/keys/${key.id}/revoke`)).status, 200);
    await restore(db, "keys", before);
    await t.reopen();
    const enc = await t.call(admin, "POST", `/api/v1/keys/${key.id}/encrypt`, { plaintext: B64 });
    assert.equal(enc.status, 422, "the un-revoked row is refused");
    assert.equal(enc.body.error.code, "integrity_error");
    const online = await t.call(admin, "GET", "/api/v1/audit/verify");
    assert.equal(online.body.valid, false);
    assert.equal(online.body.reason, "record_rollback");
    assert.ok(online.body.first_bad_seq > 0);
    const offline = await offlineVerify(t);
    assert.equal(offline.code, 1);
    assert.equal(JSON.parse(offline.stdout).reason, "record_rollback");
    // Unrelated keys keep working.
    const other = await t.call(admin, "POST", "/api/v1/keys", { name: "o", algorithm: "Ed25519" });
    assert.equal(other.status, 201);
  });
});

Deno.test("replaying a key row from before a rotation answers 422", async () => {
  await withApp(async (t, db, admin) => {
    const key = (await t.call(admin, "POST", "/api/v1/keys", { name: "k", algorithm: "EC-P256" }))
      .body;
    const before = await snapshot(db, "keys", key.id);
    await t.call(admin, "POST", `/api/v1/keys/${key.id}/rotate`);
    await restore(db, "keys", before);
    await t.reopen();
    const sign = await t.call(admin, "POST", `/api/v1/keys/${key.id}/sign`, { message: B64 });
    assert.equal(sign.status, 422);
  });
});

Deno.test("a destroyed key restored with its versions from a backup stays dead", async () => {
  await withApp(async (t, db, admin) => {
    const second = await t.inst.token("bob", ["Administrator"]);
    const key =
      (await t.call(admin, "POST", "/api/v1/keys", { name: "k", algorithm: "AES-256-GCM" }))
        .body;
    const ct = (await t.call(admin, "POST", `/api/v1/keys/${key.id}/encrypt`, { plaintext: B64 }))
      .body.ciphertext;
    const keyRow = await snapshot(db, "keys", key.id);
    const versions = await snapshot(db, "key_versions", key.id);
    const approval = (await t.call(admin, "DELETE", `/api/v1/keys/${key.id}`)).body;
    await t.call(second, "POST", `/api/v1/approvals/${approval.id}/approve`);
    await restore(db, "keys", keyRow);
    await restore(db, "key_versions", versions);
    await t.reopen();
    const dec = await t.call(admin, "POST", `/api/v1/keys/${key.id}/decrypt`, { ciphertext: ct });
    assert.equal(dec.status, 422, "the destroyed version does not come back");
    assert.equal(dec.body.plaintext, undefined);
  });
});

Deno.test("a write the log committed but a crash kept from the store is reconciled", async () => {
  await withApp(async (t, db, admin) => {
    const key =
      (await t.call(admin, "POST", "/api/v1/keys", { name: "k", algorithm: "AES-256-GCM" }))
        .body;
    const before = await snapshot(db, "keys", key.id);
    await t.call(admin, "POST", `/api/v1/keys/${key.id}/rotate`);
    // The store lost the rotation (as if the process died between the audit entry and
    // the store write): the old row is back and the new version is gone.
    await restore(db, "keys", before);
    await db.execute({
      sql: "DELETE FROM key_versions WHERE key_id = ? AND version = 2",
      args: [key.id],
    });
    await t.crash(); // the next process starts without a clean-stop marker
    const enc = await t.call(admin, "POST", `/api/v1/keys/${key.id}/encrypt`, { plaintext: B64 });
    assert.equal(enc.status, 200, "the interrupted rotation is reconciled, the key works");
    assert.equal(enc.body.version, 1);
    const log = await t.call(admin, "GET", "/api/v1/audit?limit=1000");
    const reconcile = log.body.items.find((e: { action: string }) =>
      e.action === "journal.reconcile"
    );
    assert.equal(reconcile?.result, "failed:interrupted");
    assert.equal(reconcile?.key_id, key.id);
    assert.equal((await t.call(admin, "GET", "/api/v1/audit/verify")).body.valid, true);
  });
});

Deno.test("the same lost write after a clean stop is a rollback, not a crash", async () => {
  await withApp(async (t, db, admin) => {
    const key =
      (await t.call(admin, "POST", "/api/v1/keys", { name: "k", algorithm: "AES-256-GCM" }))
        .body;
    const before = await snapshot(db, "keys", key.id);
    await t.call(admin, "POST", `/api/v1/keys/${key.id}/rotate`);
    await t.reopen(); // clean stop, then start
    await restore(db, "keys", before);
    await t.reopen();
    const enc = await t.call(admin, "POST", `/api/v1/keys/${key.id}/encrypt`, { plaintext: B64 });
    assert.equal(enc.status, 422);
  });
});
