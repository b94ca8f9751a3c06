/**
 * The policy gate covers every surface and every key operation, not only the core API:
 * one deny policy refuses a Vault Transit encrypt (Vault's 403 error body), a batch
 * encrypt, a data key, a rewrap, a JWT signature, a settings change and a dashboard
 * rotation, each audited with the policy and its digest, the script seeing the channel
 * (`rest` or `ui`); a BYOK import is decided as `create` before its token is spent.
 */

import assert from "node:assert/strict";
import { toBase64 } from "../../src/core/encoding.ts";
import { wrapKeyForImport } from "../../src/core/import_wrapping.ts";
import { makeTestApp, type TestApp } from "./_app.ts";
import { fixedWrappingKeys, importMaterial, importParams } from "./_key_ops.ts";
import { b64, transit } from "./transit/_transit.ts";
import { signIn } from "./ui/_ui.ts";

async function withApp(fn: (t: TestApp, admin: string) => Promise<void>): Promise<void> {
  // A roomy deadline: answers must not depend on the machine's load.
  const t = await makeTestApp(["--policy-deadline-ms", "1000"], {
    retentionScheduler: false,
    wrappingKeys: fixedWrappingKeys(),
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
  script: string,
  scope: Record<string, unknown>,
): Promise<{ id: string; digest: string }> {
  const r = await t.call(admin, "POST", "/api/v1/policies", { name: "freeze", script, scope });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function auditResults(t: TestApp, action: string): Promise<string[]> {
  const entries = await t.services.stores.audit.list(0, 10_000);
  return entries.filter((e) => e.action === action).map((e) => e.result);
}

Deno.test("one deny policy refuses transit, batch, data key, rewrap, sign-jwt, settings and dashboard actions", async () => {
  await withApp(async (t, admin) => {
    const v = transit(t, admin);
    assert.equal((await v("POST", "/encrypt/vaulted", { plaintext: b64("x") })).status, 200);
    const vaulted = (await v("GET", "/keys/vaulted")).body.data.ferrohsm.id as string;
    const aes = (await t.call(admin, "POST", "/api/v1/keys", {
      name: "aes",
      algorithm: "AES-256-GCM",
    })).body.id as string;
    const ec = (await t.call(admin, "POST", "/api/v1/keys", {
      name: "jwt",
      algorithm: "EC-P256",
    })).body.id as string;
    const sealed = (await t.call(admin, "POST", `/api/v1/keys/${aes}/encrypt`, {
      plaintext: b64("before"),
    })).body.ciphertext as string;
    const policy = await createPolicy(
      t,
      admin,
      "export default (ctx) => ({ deny: `frozen: ${ctx.action} via ${ctx.request.via}` })",
      {
        key_ids: [vaulted, aes, ec],
        actions: ["encrypt", "sign", "update", "rotate"],
      },
    );
    const denied = `policy_denied:${policy.id}:${policy.digest.slice(0, 16)}`;

    const viaTransit = await v("POST", "/encrypt/vaulted", { plaintext: b64("x") });
    assert.equal(viaTransit.status, 403);
    assert.deepEqual(Object.keys(viaTransit.body), ["errors"]);
    assert.match(viaTransit.body.errors[0], /^permission denied: .*frozen: encrypt via rest/);

    const cases: [string, string, unknown, string][] = [
      [
        `/api/v1/keys/${aes}/encrypt/batch`,
        "POST",
        { items: [{ plaintext: b64("a") }] },
        "key.encrypt.batch",
      ],
      [`/api/v1/keys/${aes}/datakey`, "POST", { bits: 256 }, "key.datakey"],
      [`/api/v1/keys/${aes}/rewrap`, "POST", { ciphertext: sealed }, "key.rewrap"],
      [`/api/v1/keys/${ec}/sign-jwt`, "POST", { claims: { sub: "x" } }, "key.sign_jwt"],
      [`/api/v1/keys/${aes}`, "PATCH", { rotation_period: "P30D" }, "key.update"],
    ];
    for (const [path, method, body, action] of cases) {
      const r = await t.call(admin, method, path, body);
      assert.equal(r.status, 403, `${action}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, "policy_denied", action);
      assert.match(r.body.error.message, /frozen: (encrypt|sign|update) via rest/, action);
      assert.deepEqual(await auditResults(t, action), [denied], action);
    }
    assert.equal(
      (await auditResults(t, "key.encrypt")).filter((r) => r === denied).length,
      1,
      "the transit encrypt was audited as denied",
    );

    const ui = await signIn(t, "alice", ["Administrator"]);
    const page = await ui.get(`/ui/keys/${aes}`);
    assert.equal(page.status, 200, "reading is outside the scope");
    const rotated = await ui.post(`/ui/keys/${aes}/rotate`, {}, { htmx: "key-main" });
    assert.equal(rotated.status, 403);
    assert.match(rotated.text, /Refused by a policy/);
    assert.match(rotated.text, /frozen: rotate via ui/);
    assert.deepEqual(await auditResults(t, "key.rotate"), [denied]);
    const record = (await t.call(admin, "GET", `/api/v1/keys/${aes}`)).body;
    assert.equal(record.current_version, 1, "nothing changed");
  });
});

Deno.test("a BYOK import is decided as create, before its token is spent", async () => {
  await withApp(async (t, admin) => {
    const op = await t.inst.token("olga", ["Operator"]);
    await createPolicy(
      t,
      admin,
      "export default (ctx) => ctx.actor.roles.includes('Administrator') || { deny: 'admins import' }",
      { actions: ["create"] },
    );
    const material = crypto.getRandomValues(new Uint8Array(32));
    const params = await importParams(t, op, "AES-256-GCM");
    const request = {
      name: "byok",
      algorithm: "AES-256-GCM",
      import_token: params.token,
      wrapped_key: toBase64(await wrapKeyForImport(params.spki, material)),
    };
    const refused = await t.call(op, "POST", "/api/v1/keys/import", request);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, "policy_denied");
    assert.match(refused.body.error.message, /admins import/);
    // The gate ran before the token was taken: the same token still imports.
    const created = await t.call(admin, "POST", "/api/v1/keys/import", request);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.origin, "imported");
    const again = await importMaterial(t, op, "AES-256-GCM", material, { key_id: created.body.id });
    assert.equal(again.status, 403, "a new version of an imported key is create too");
  });
});
