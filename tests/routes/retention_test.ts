/**
 * Retention end to end over the real services with an injected clock: a revoked version
 * passes its window, the run opens a purge approval, a second administrator approves,
 * the grace period holds the wipe, then the material is purged (a `purged` stub, the
 * old ciphertext undecryptable) and a signed receipt is written; the ledger verifies
 * offline with only the attestation public key (`ferrohsm retention verify-receipts`),
 * and a tampered receipt is detected. Destroyed keys follow their class: kept for a
 * window, or wiped (with receipts) at destruction.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  importAttestationKey,
  ledgerLines,
  verifyReceiptLines,
} from "../../src/retention/receipt_verify.ts";
import { runCli } from "../../testing/server_process.ts";
import { makeTestApp, type TestApp } from "./_app.ts";

const DAY = 24 * 3600 * 1000;
const HOUR = 3600 * 1000;
const MSG = btoa("retain me");

const RETENTION = `version: 1
default_class: standard
classes:
  standard:
    revoked_versions_days: null
    destroyed_keys_days: 0
  short:
    revoked_versions_days: 30
    destroyed_keys_days: 7
    purge_requires_approval: true
    grace_hours: 24
  unattended:
    revoked_versions_days: 1
    purge_requires_approval: false
`;

interface World {
  readonly t: TestApp;
  readonly admin: string;
  readonly second: string;
  readonly auditor: string;
  /** Moves the injected clock forward. */
  advance(ms: number): void;
  ledgerPath: string;
}

async function withWorld(fn: (w: World) => Promise<void>): Promise<void> {
  let now = Date.parse("2025-03-01T10:00:00Z");
  const dir = await Deno.makeTempDir();
  const config = join(dir, "retention.yaml");
  await Deno.writeTextFile(config, RETENTION);
  const t = await makeTestApp(["--retention-config", config], {
    clock: () => new Date(now),
    retentionScheduler: false,
  });
  try {
    await fn({
      t,
      admin: await t.inst.token("admin", ["Administrator"]),
      second: await t.inst.token("second", ["Administrator"]),
      auditor: await t.inst.token("auditor", ["Auditor"]),
      advance: (ms) => {
        now += ms;
      },
      ledgerPath: join(t.inst.dataDir, "retention-ledger.log"),
    });
  } finally {
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function run(w: World) {
  const r = await w.t.call(w.admin, "POST", "/api/v1/retention/run");
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

Deno.test("a revoked version is purged after its window, approval and grace, with a verifiable receipt", async () => {
  await withWorld(async (w) => {
    const { t, admin, second } = w;
    const key = (await t.call(admin, "POST", "/api/v1/keys", {
      name: "short-lived",
      algorithm: "AES-256-GCM",
      retention_class: "short",
    })).body;
    assert.equal(key.retention_class, "short");
    const old = (await t.call(admin, "POST", `/api/v1/keys/${key.id}/encrypt`, { plaintext: MSG }))
      .body.ciphertext;
    await t.call(admin, "POST", `/api/v1/keys/${key.id}/rotate`);

    w.advance(29 * DAY);
    assert.deepEqual((await run(w)).opened, [], "inside the window nothing happens");

    w.advance(2 * DAY);
    const opened = (await run(w)).opened;
    assert.equal(opened.length, 1);
    assert.deepEqual(opened[0].versions, [1]);
    const approvalId = opened[0].approval_id;
    const approval = (await t.call(admin, "GET", `/api/v1/approvals/${approvalId}`)).body;
    assert.equal(approval.action, "key.purge");
    assert.equal(approval.requested_by, "[retention]");
    assert.deepEqual(approval.params.versions, [1]);
    assert.equal((await run(w)).waiting[0].approval_id, approvalId, "pending: still waiting");

    const decided = await t.call(second, "POST", `/api/v1/approvals/${approvalId}/approve`);
    assert.equal(decided.body.state, "executed");
    const held = await run(w);
    assert.deepEqual(held.purged, [], "the grace period holds the wipe");
    assert.equal(
      held.waiting[0].until,
      new Date(Date.parse("2025-04-01T10:00:00Z") + DAY).toISOString(),
    );
    assert.equal(
      (await t.call(admin, "POST", `/api/v1/keys/${key.id}/decrypt`, { ciphertext: old })).status,
      200,
      "still readable during the grace period",
    );

    w.advance(25 * HOUR);
    const done = await run(w);
    assert.deepEqual(done.purged, [{ key_id: key.id, version: 1, receipt_seq: 1 }]);
    assert.deepEqual((await run(w)).purged, [], "a purged version is never due again");

    const versions = (await t.call(admin, "GET", `/api/v1/keys/${key.id}/versions`)).body.items;
    assert.equal(versions[0].state, "purged");
    assert.equal(typeof versions[0].purged_at, "string");
    assert.equal(versions[1].state, "active");
    const gone = await t.call(admin, "POST", `/api/v1/keys/${key.id}/decrypt`, { ciphertext: old });
    assert.equal(gone.status, 409, "the purged version's ciphertexts are unreadable for good");
    const fresh =
      (await t.call(admin, "POST", `/api/v1/keys/${key.id}/encrypt`, { plaintext: MSG }))
        .body.ciphertext;
    assert.equal(
      (await t.call(admin, "POST", `/api/v1/keys/${key.id}/decrypt`, { ciphertext: fresh })).status,
      200,
    );

    const receipts = (await t.call(w.auditor, "GET", "/api/v1/retention/receipts")).body.items;
    assert.equal(receipts.length, 1);
    assert.equal(receipts[0].key_id, key.id);
    assert.equal(receipts[0].version, 1);
    assert.deepEqual(receipts[0].approvers, ["second"]);
    assert.equal(receipts[0].approval_id, approvalId);
    assert.equal(receipts[0].retention_class, "short");
    assert.equal(receipts[0].reason, "retention");
    assert.match(receipts[0].material_digest, /^[0-9a-f]{64}$/);

    const log = (await t.call(admin, "GET", "/api/v1/audit?limit=1000")).body.items;
    const purge = log.find((e: { action: string }) => e.action === "key.purge.execute");
    assert.equal(purge.key_id, key.id);
    assert.equal(purge.result, "ok");
    assert.equal((await t.call(admin, "GET", "/api/v1/audit/verify")).body.valid, true);

    // Offline: only the public key and the ledger file.
    const pub = (await t.call(w.auditor, "GET", "/api/v1/retention/attestation-key")).body;
    const pem = await t.inst.writeFile("attestation.pem", pub.pem);
    const jwk = await t.inst.writeFile("attestation.jwk", JSON.stringify(pub.jwk));
    const ok = await runCli([
      "retention",
      "verify-receipts",
      "--public-key",
      pem,
      "--ledger",
      w.ledgerPath,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /receipts intact: 1 receipts/);
    const viaJwk = await runCli([
      "retention",
      "verify-receipts",
      "--public-key",
      jwk,
      "--ledger",
      w.ledgerPath,
    ]);
    assert.equal(viaJwk.code, 0, viaJwk.stderr);

    // A tampered receipt (another version claimed) no longer verifies.
    const text = await Deno.readTextFile(w.ledgerPath);
    await Deno.writeTextFile(w.ledgerPath, text.replace('"version":1', '"version":2'));
    const bad = await runCli([
      "retention",
      "verify-receipts",
      "--public-key",
      pem,
      "--ledger",
      w.ledgerPath,
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /receipts INVALID: first bad receipt seq 1 \(bad_signature\)/);
  });
});

Deno.test("destroyed keys: kept for the class's window, or wiped with receipts at destruction", async () => {
  await withWorld(async (w) => {
    const { t, admin, second } = w;
    const destroy = async (id: string) => {
      const req = await t.call(admin, "DELETE", `/api/v1/keys/${id}`);
      const ok = await t.call(second, "POST", `/api/v1/approvals/${req.body.id}/approve`);
      assert.equal(ok.body.state, "executed");
      return req.body.id as string;
    };
    const plain = (await t.call(admin, "POST", "/api/v1/keys", { name: "p", algorithm: "Ed25519" }))
      .body;
    const destroyApproval = await destroy(plain.id);
    const atOnce = (await t.call(w.auditor, "GET", "/api/v1/retention/receipts")).body.items;
    assert.equal(atOnce.length, 1);
    assert.equal(atOnce[0].key_id, plain.id);
    assert.equal(atOnce[0].reason, "destroy");
    assert.equal(atOnce[0].approval_id, destroyApproval);
    assert.deepEqual(atOnce[0].approvers, ["second"]);
    assert.deepEqual(
      (await t.call(admin, "GET", `/api/v1/keys/${plain.id}/versions`)).body.items,
      [],
    );

    const kept = (await t.call(admin, "POST", "/api/v1/keys", {
      name: "kept",
      algorithm: "Ed25519",
      retention_class: "short",
    })).body;
    await destroy(kept.id);
    const versions = (await t.call(admin, "GET", `/api/v1/keys/${kept.id}/versions`)).body.items;
    assert.deepEqual(versions.map((v: { state: string }) => v.state), ["destroyed"]);
    w.advance(6 * DAY);
    assert.deepEqual((await run(w)).opened, []);
    w.advance(2 * DAY);
    const opened = (await run(w)).opened;
    assert.equal(opened[0].key_id, kept.id);
    await t.call(second, "POST", `/api/v1/approvals/${opened[0].approval_id}/approve`);
    w.advance(25 * HOUR);
    assert.deepEqual((await run(w)).purged.map((p: { key_id: string }) => p.key_id), [kept.id]);
    const after = (await t.call(admin, "GET", `/api/v1/keys/${kept.id}/versions`)).body.items;
    assert.deepEqual(after.map((v: { state: string }) => v.state), ["purged"]);

    // The ledger survives a restart and keeps chaining.
    await t.reopen();
    const unattended = (await t.call(admin, "POST", "/api/v1/keys", {
      name: "u",
      algorithm: "AES-256-GCM",
      retention_class: "unattended",
    })).body;
    await t.call(admin, "POST", `/api/v1/keys/${unattended.id}/revoke`);
    w.advance(2 * DAY);
    const report = await run(w);
    assert.deepEqual(report.opened, [], "this class needs no approval");
    assert.deepEqual(report.purged.map((p: { key_id: string }) => p.key_id), [unattended.id]);
    const all = (await t.call(w.auditor, "GET", "/api/v1/retention/receipts")).body.items;
    assert.deepEqual(all.map((r: { seq: number }) => r.seq), [1, 2, 3]);
    assert.deepEqual(all[2].approvers, []);
    const pub = (await t.call(w.auditor, "GET", "/api/v1/retention/attestation-key")).body;
    const result = await verifyReceiptLines(
      ledgerLines(await Deno.readFile(w.ledgerPath)),
      await importAttestationKey(pub.pem),
    );
    assert.deepEqual({ valid: result.valid, receipts: result.valid && result.receipts }, {
      valid: true,
      receipts: 3,
    });
  });
});

Deno.test("a key cannot name a retention class that does not exist; Services cannot run retention", async () => {
  await withWorld(async (w) => {
    const r = await w.t.call(w.admin, "POST", "/api/v1/keys", {
      name: "x",
      algorithm: "AES-256-GCM",
      retention_class: "nope",
    });
    assert.equal(r.status, 400);
    const svc = await w.t.inst.token("svc", ["Service"]);
    assert.equal((await w.t.call(svc, "POST", "/api/v1/retention/run")).status, 403);
    assert.equal((await w.t.call(svc, "GET", "/api/v1/retention/receipts")).status, 403);
  });
});
