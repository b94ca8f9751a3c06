/**
 * Policy scripts deciding real requests, in-process over the real services and sandbox
 * children: scopes by key tag, role and action; every context field a script can read
 * (actor, key metadata, request facts in UTC and the configured zone, size, channel),
 * deep-frozen; the reason reaching the caller as 403 `policy_denied`; the audit entry
 * naming the policy and its digest (and the cause when a script fails); a PKCS#11 call
 * seen as `via: "pkcs11"`; and policy management (versions, dual control, restart).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { JwtVerifier } from "../../src/auth/jwt.ts";
import { CKR } from "../../src/pkcs11/constants.ts";
import { ServiceBackend } from "../../src/pkcs11/service_backend.ts";
import { Pkcs11Error } from "../../src/pkcs11/token_backend.ts";
import { makeTestApp, type TestApp } from "./_app.ts";

const MSG = btoa("policy me");

async function withApp(
  flags: string[],
  fn: (t: TestApp, admin: string) => Promise<void>,
): Promise<void> {
  // A roomy deadline: answers must not depend on the machine's load (loops still time out).
  const t = await makeTestApp(["--policy-deadline-ms", "1000", ...flags], {
    retentionScheduler: false,
  });
  try {
    await fn(t, await t.inst.token("admin", ["Administrator"]));
  } finally {
    await t.close();
  }
}

async function createPolicy(
  t: TestApp,
  admin: string,
  name: string,
  script: string,
  scope: Record<string, unknown> = {},
): Promise<{ id: string; digest: string; version: number }> {
  const r = await t.call(admin, "POST", "/api/v1/policies", { name, script, scope });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function lastAudit(t: TestApp, admin: string, action: string) {
  const log = await t.call(admin, "GET", "/api/v1/audit?limit=1000");
  const entries = log.body.items.filter((e: { action: string }) => e.action === action);
  return entries[entries.length - 1] as { result: string; key_id: string; actor: string };
}

Deno.test("a policy scoped by key tag and role decides signing; the deny reaches caller and audit", async () => {
  await withApp([], async (t, admin) => {
    const svc = await t.inst.token("svc", ["Service"]);
    const op = await t.inst.token("op", ["Operator"]);
    const prod = (await t.call(admin, "POST", "/api/v1/keys", {
      name: "prod",
      algorithm: "EC-P256",
      tags: { env: "prod" },
    })).body;
    const dev = (await t.call(admin, "POST", "/api/v1/keys", {
      name: "dev",
      algorithm: "EC-P256",
      tags: { env: "dev" },
    })).body;
    const policy = await createPolicy(
      t,
      admin,
      "services sign prod only small",
      "export default (ctx) => ctx.request.size < 64 || { deny: 'message too large for prod' }",
      { actions: ["sign"], roles: ["Service"], key_tags: { env: "prod" } },
    );
    assert.equal(
      (await t.call(svc, "POST", `/api/v1/keys/${prod.id}/sign`, { message: MSG }))
        .status,
      200,
    );
    const big = btoa("x".repeat(200));
    const denied = await t.call(svc, "POST", `/api/v1/keys/${prod.id}/sign`, { message: big });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, "policy_denied");
    assert.match(denied.body.error.message, /message too large for prod/);
    const entry = await lastAudit(t, admin, "key.sign");
    assert.equal(entry.result, `policy_denied:${policy.id}:${policy.digest.slice(0, 16)}`);
    assert.equal(entry.key_id, prod.id);
    // Outside the scope: another key, another role, another action.
    assert.equal(
      (await t.call(svc, "POST", `/api/v1/keys/${dev.id}/sign`, { message: big }))
        .status,
      200,
    );
    assert.equal(
      (await t.call(op, "POST", `/api/v1/keys/${prod.id}/sign`, { message: big }))
        .status,
      200,
    );
    const sig = (await t.call(op, "POST", `/api/v1/keys/${prod.id}/sign`, { message: big })).body;
    assert.equal(
      (await t.call(svc, "POST", `/api/v1/keys/${prod.id}/verify`, {
        message: big,
        signature: sig.signature,
      })).body.valid,
      true,
    );
  });
});

Deno.test("the context carries actor, key, request facts in UTC and the configured zone, frozen", async () => {
  await withApp(["--policy-time-zone", "Asia/Kolkata"], async (t, admin) => {
    const key = (await t.call(admin, "POST", "/api/v1/keys", {
      name: "ctx",
      algorithm: "AES-256-GCM",
      tags: { team: "payments" },
    })).body;
    await t.call(admin, "POST", `/api/v1/keys/${key.id}/rotate`);
    // Every check names itself, so a failing one says which field was wrong.
    const script = `
      const checks = (ctx) => ({
        sub: ctx.actor.sub === "admin",
        roles: ctx.actor.roles.length === 1 && ctx.actor.roles[0] === "Administrator",
        action: ctx.action === "encrypt",
        key: ctx.key.id === ${JSON.stringify(key.id)} && ctx.key.algorithm === "AES-256-GCM",
        tags: ctx.key.tags.team === "payments" && ctx.key.state === "active",
        version: ctx.key.version === 2,
        via: ctx.request.via === "rest",
        zone: ctx.request.time_zone === "Asia/Kolkata",
        utc: ctx.request.utc.hour === new Date(ctx.request.time).getUTCHours(),
        local: (ctx.request.utc.hour * 60 + ctx.request.utc.minute + 330) % 1440 ===
          ctx.hour * 60 + ctx.minute,
        size: ctx.request.size > 0,
        frozen: Object.isFrozen(ctx) && Object.isFrozen(ctx.request) &&
          Object.isFrozen(ctx.key.tags) && Object.isFrozen(ctx.actor.roles),
      });
      export default (ctx) => {
        const failed = Object.entries(checks(ctx)).filter(([, ok]) => !ok).map(([k]) => k);
        return failed.length === 0 || { deny: "wrong: " + failed.join(",") };
      };`;
    await createPolicy(t, admin, "context", script, { key_ids: [key.id], actions: ["encrypt"] });
    const r = await t.call(admin, "POST", `/api/v1/keys/${key.id}/encrypt`, { plaintext: MSG });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });
});

Deno.test("a script that throws or loops denies, and the audit entry names the cause", async () => {
  await withApp([], async (t, admin) => {
    const key = (await t.call(admin, "POST", "/api/v1/keys", {
      name: "k",
      algorithm: "HMAC-SHA256",
    })).body;
    const thrower = await createPolicy(
      t,
      admin,
      "throws",
      "export default (ctx) => { if (ctx.action === 'mac') throw new Error('boom'); return true; }",
      { key_ids: [key.id] },
    );
    const threw = await t.call(admin, "POST", `/api/v1/keys/${key.id}/mac`, { message: MSG });
    assert.equal(threw.status, 403);
    assert.equal(
      (await lastAudit(t, admin, "key.mac")).result,
      `policy_denied:${thrower.id}:${thrower.digest.slice(0, 16)}:threw`,
    );
    await t.call(admin, "DELETE", `/api/v1/policies/${thrower.id}`);
    const looper = await createPolicy(
      t,
      admin,
      "loops",
      "export default (ctx) => { while (ctx.action === 'mac') {} return true; }",
      { key_ids: [key.id] },
    );
    const looped = await t.call(admin, "POST", `/api/v1/keys/${key.id}/mac`, { message: MSG });
    assert.equal(looped.status, 403);
    assert.equal(
      (await lastAudit(t, admin, "key.mac")).result,
      `policy_denied:${looper.id}:${looper.digest.slice(0, 16)}:timeout`,
    );
  });
});

Deno.test("create is decided with the new key's metadata; no material is made on a deny", async () => {
  await withApp([], async (t, admin) => {
    await createPolicy(
      t,
      admin,
      "no RSA",
      "export default (ctx) => !ctx.key.algorithm.startsWith('RSA') || { deny: 'use EC' }",
      { actions: ["create"] },
    );
    const rsa = await t.call(admin, "POST", "/api/v1/keys", { name: "r", algorithm: "RSA-2048" });
    assert.equal(rsa.status, 403);
    assert.equal(rsa.body.error.code, "policy_denied");
    const list = await t.call(admin, "GET", "/api/v1/keys");
    assert.equal(list.body.total, 0, "no key was stored");
    assert.equal(
      (await t.call(admin, "POST", "/api/v1/keys", { name: "e", algorithm: "EC-P256" })).status,
      201,
    );
  });
});

Deno.test("a PKCS#11 call is decided with via pkcs11 and refused with CKR_FUNCTION_FAILED", async () => {
  await withApp([], async (t, admin) => {
    const key = (await t.call(admin, "POST", "/api/v1/keys", {
      name: "p11",
      algorithm: "EC-P256",
    })).body;
    await createPolicy(
      t,
      admin,
      "rest only",
      "export default (ctx) => ctx.request.via === 'rest' || { deny: 'REST only' }",
      { key_ids: [key.id] },
    );
    const backend = new ServiceBackend({
      keys: t.services.keys,
      crypto: t.services.crypto,
      verifier: new JwtVerifier(t.services.keyring),
      tokenDir: join(t.inst.dir, "tokens"),
      log: { log() {} },
    });
    const cred = await backend.login(new TextEncoder().encode(admin));
    const input = {
      kind: "signature",
      data: new Uint8Array(32).fill(7),
      prehashed: true,
      hash: "SHA-256",
      format: "raw",
    } as const;
    await assert.rejects(
      backend.sign(cred, key.id, input),
      (err: unknown) => err instanceof Pkcs11Error && err.rv === CKR.FUNCTION_FAILED,
    );
    const entry = await lastAudit(t, admin, "key.sign");
    assert.equal(entry.actor, "pkcs11:admin");
    assert.match(entry.result, /^policy_denied:/);
    assert.equal(
      (await t.call(admin, "POST", `/api/v1/keys/${key.id}/sign`, { message: MSG })).status,
      200,
    );
  });
});

Deno.test("policies are versioned, survive a restart, and change under dual control when asked", async () => {
  const dir = await Deno.makeTempDir();
  const approvals = join(dir, "approvals.json");
  await Deno.writeTextFile(
    approvals,
    JSON.stringify({ actions: { "policy.update": { quorum: 1 } } }),
  );
  try {
    await withApp(["--approval-policy", approvals], async (t, admin) => {
      const second = await t.inst.token("second", ["Administrator"]);
      const auditor = await t.inst.token("auditor", ["Auditor"]);
      const key = (await t.call(admin, "POST", "/api/v1/keys", {
        name: "k",
        algorithm: "AES-256-GCM",
      })).body;
      const p = await createPolicy(t, admin, "open", "export default () => true", {
        key_ids: [key.id],
      });
      const held = await t.call(admin, "PUT", `/api/v1/policies/${p.id}`, {
        name: "closed",
        script: "export default () => ({ deny: 'closed' })",
        scope: { key_ids: [key.id] },
      });
      assert.equal(held.status, 202);
      assert.equal(held.body.action, "policy.update");
      assert.equal(held.body.params.name, "closed", "approvers see the draft");
      const enc = () => t.call(admin, "POST", `/api/v1/keys/${key.id}/encrypt`, { plaintext: MSG });
      assert.equal((await enc()).status, 200, "not changed before approval");
      await t.call(second, "POST", `/api/v1/approvals/${held.body.id}/approve`);
      assert.equal((await enc()).status, 403, "changed once approved");
      const versions = await t.call(auditor, "GET", `/api/v1/policies/${p.id}/versions`);
      assert.deepEqual(versions.body.items.map((v: { version: number }) => v.version), [1, 2]);
      assert.equal(versions.body.items[1].approval_id, held.body.id);
      assert.equal(versions.body.items[1].author, "admin");
      await t.reopen();
      assert.equal((await enc()).status, 403, "the policy is loaded at start");
      const del = await t.call(admin, "DELETE", `/api/v1/policies/${p.id}`);
      assert.equal(del.status, 200);
      assert.equal(del.body.deleted, true);
      assert.equal((await enc()).status, 200, "a deleted policy no longer applies");
      const list = await t.call(admin, "GET", "/api/v1/policies");
      assert.deepEqual(list.body.items, []);
      const auditorWrite = await t.call(auditor, "POST", "/api/v1/policies", {
        name: "x",
        script: "export default () => true",
      });
      assert.equal(auditorWrite.status, 403, "Auditors read policies, never change them");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a script that does not compile or export a function is refused before storing", async () => {
  await withApp([], async (t, admin) => {
    const syntax = await t.call(admin, "POST", "/api/v1/policies", {
      name: "bad",
      script: "export default (ctx => ",
    });
    assert.equal(syntax.status, 400);
    const notFn = await t.call(admin, "POST", "/api/v1/policies", {
      name: "bad",
      script: "export default 42",
    });
    assert.equal(notFn.status, 400);
    assert.deepEqual((await t.call(admin, "GET", "/api/v1/policies")).body.items, []);
  });
});

Deno.test("a policy row deleted or edited behind the server's back refuses the next start", async () => {
  await withApp([], async (t, admin) => {
    const p = await createPolicy(t, admin, "guard", "export default () => true");
    await t.shutdown();
    const { openDatabase } = await import("../../src/storage/sqlite/database.ts");
    const db = await openDatabase(join(t.inst.dataDir, "ferrohsm.db"));
    try {
      await db.client.execute({
        sql: "UPDATE policy_versions SET script = ? WHERE id = ?",
        args: ["export default () => false", p.id],
      });
    } finally {
      db.close();
    }
    await assert.rejects(t.reopen(), /integrity check|digest/);
    const again = await openDatabase(join(t.inst.dataDir, "ferrohsm.db"));
    try {
      await again.client.execute({ sql: "DELETE FROM policy_versions WHERE id = ?", args: [p.id] });
    } finally {
      again.close();
    }
    await assert.rejects(t.reopen(), /missing from the store/);
  });
});

Deno.test("a policy creation cut short by a crash is put on the chain as failed and starts keep working", async () => {
  await withApp([], async (t, admin) => {
    // The creation's audit entry is durable, its store write never happened: a crash.
    const lost = { kind: "policy" as const, id: "pol_lost", revision: 1, digest: "a".repeat(32) };
    await t.services.auditLog.append({
      actor: "admin",
      action: "policy.create",
      result: "ok",
      records: [lost],
    });
    await t.crash();
    const entries = await t.services.stores.audit.list(0, 10_000);
    const reconciled = entries.find((e) => e.action === "journal.reconcile");
    assert.equal(reconciled?.result, "failed:interrupted");
    assert.match(reconciled?.records ?? "", /policy:pol_lost@1:/);
    // A later start (after a clean stop) rebuilds the journal from the chain: still fine.
    await t.reopen();
    await t.reopen();
    assert.deepEqual((await t.call(admin, "GET", "/api/v1/policies")).body.items, []);
    assert.equal((await t.call(admin, "GET", "/api/v1/audit/verify")).body.valid, true);
  });
});
