/**
 * The contract module is the one source of truth: the app registers exactly the
 * operations the OpenAPI document describes, the document is well formed, and a tour of
 * every operation (success and the usual refusals) only answers statuses and bodies the
 * contract declares (each answer is checked by `_conformance.ts`).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type Operation, OPERATIONS } from "../../src/contract/operations.ts";
import { openapiDocument, openapiPath } from "../../src/contract/openapi.ts";
import { makeTestApp } from "../routes/_app.ts";
import { SEEN } from "./_conformance.ts";

const B64 = btoa("contract tour");

Deno.test("every route the app registers is in the OpenAPI document, and only those", async () => {
  const t = await makeTestApp();
  try {
    // The dashboard's HTML pages (`/ui`) and its static assets (`/static`) are not part of
    // the JSON API, so they are left out of the OpenAPI document and of this walk.
    const isDashboard = (path: string) =>
      path === "/ui" || path.startsWith("/ui/") || path.startsWith("/static/");
    const registered = new Set(
      t.app.routes
        .filter((r) => r.method !== "ALL" && !isDashboard(r.path))
        // The Vault Transit bridge is Vault's API, not FerroHSM's: it is outside /api/v1 and
        // its OpenAPI document, and docs/transit.md describes it (tests/routes/transit/).
        .filter((r) => !r.path.startsWith("/v1/transit/"))
        .map((r) => `${r.method.toLowerCase()} ${r.path}`),
    );
    assert.ok(t.app.routes.some((r) => r.path === "/ui/keys"), "the dashboard is mounted");
    const documented = new Set(
      (Object.values(OPERATIONS) as Operation[]).map((op) => `${op.method} ${op.path}`),
    );
    assert.deepEqual([...registered].filter((r) => !documented.has(r)), [], "undocumented");
    assert.deepEqual([...documented].filter((d) => !registered.has(d)), [], "unregistered");
    const doc = (await t.call(undefined, "GET", "/api/v1/openapi.json")).body;
    for (const op of Object.values(OPERATIONS) as Operation[]) {
      assert.ok(doc.paths[openapiPath(op.path)]?.[op.method], `${op.method} ${op.path}`);
    }
  } finally {
    await t.close();
  }
});

Deno.test("the OpenAPI document resolves every $ref and declares dual-control 202s", () => {
  const doc = openapiDocument() as {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    components: { schemas: Record<string, unknown> };
  };
  const refs = JSON.stringify(doc).match(/"\$ref":"#\/components\/schemas\/[A-Za-z]+"/g) ?? [];
  for (const ref of refs) {
    const name = ref.slice(ref.lastIndexOf("/") + 1, -1);
    assert.ok(doc.components.schemas[name], `unresolved ${name}`);
  }
  assert.ok(doc.paths["/api/v1/keys"]?.post?.responses["202"]);
  assert.ok(doc.paths["/api/v1/keys/{id}/rotate"]?.post?.responses["202"]);
  assert.ok(doc.paths["/healthz"]?.get?.responses["503"]);
  const create = doc.components.schemas.CreateKeyRequest as {
    properties: { name: { maxLength: number }; tags: { maxProperties: number } };
  };
  assert.equal(create.properties.name.maxLength, 128);
  assert.equal(create.properties.tags.maxProperties, 32);
});

Deno.test("a tour of every operation answers only what the contract declares", async () => {
  const dir = await Deno.makeTempDir();
  const policy = join(dir, "approvals.json");
  await Deno.writeTextFile(policy, JSON.stringify({ actions: { "key.rollback": { quorum: 1 } } }));
  const t = await makeTestApp(["--approval-policy", policy, "--policy-deadline-ms", "1000"]);
  try {
    const admin = await t.inst.token("admin", ["Administrator"]);
    const second = await t.inst.token("second", ["Administrator"]);
    const auditor = await t.inst.token("auditor", ["Auditor"]);
    const call = (method: string, path: string, body?: unknown, token = admin) =>
      t.call(token, method, path, body);

    const aes = (await call("POST", "/api/v1/keys", { name: "aes", algorithm: "AES-256-GCM" }))
      .body;
    const ct = (await call("POST", `/api/v1/keys/${aes.id}/encrypt`, { plaintext: B64 })).body;
    await call("POST", `/api/v1/keys/${aes.id}/decrypt`, { ciphertext: ct.ciphertext });
    await call("POST", `/api/v1/keys/${aes.id}/decrypt`, { ciphertext: "fhsm:v9:AAAA" });
    const ec = (await call("POST", "/api/v1/keys", { name: "ec", algorithm: "EC-P256" })).body;
    const sig = (await call("POST", `/api/v1/keys/${ec.id}/sign`, { message: B64 })).body;
    await call("POST", `/api/v1/keys/${ec.id}/verify`, { message: B64, signature: sig.signature });
    await call("GET", `/api/v1/keys/${ec.id}/public`);
    const params = (await call("POST", "/api/v1/keys/import-params", { algorithm: "AES-256-GCM" }))
      .body;
    await call("POST", "/api/v1/keys/import", {
      name: "imported",
      algorithm: "AES-256-GCM",
      import_token: params.import_token,
      wrapped_key: B64,
    });
    await call("PATCH", `/api/v1/keys/${aes.id}`, { rotation_period: "P90D" });
    await call("POST", `/api/v1/keys/${aes.id}/datakey`, { bits: 128, plaintext: false });
    await call("POST", `/api/v1/keys/${aes.id}/rewrap`, { ciphertext: ct.ciphertext });
    await call("POST", `/api/v1/keys/${aes.id}/encrypt/batch`, {
      items: [{ plaintext: B64 }, { plaintext: "!" }],
    });
    await call("POST", `/api/v1/keys/${aes.id}/decrypt/batch`, {
      items: [{ ciphertext: ct.ciphertext }],
    });
    await call("POST", `/api/v1/keys/${ec.id}/sign/batch`, { items: [{ message: B64 }] });
    await call("GET", `/api/v1/keys/${ec.id}/jwks`);
    await call("POST", `/api/v1/keys/${ec.id}/sign-jwt`, { claims: { sub: "tour" } });
    await call("POST", `/api/v1/keys/${ec.id}/rotate`);
    await call("GET", `/api/v1/keys/${ec.id}/versions`);
    const held = (await call("POST", `/api/v1/keys/${ec.id}/rollback`, { version: 1 })).body;
    await call("POST", `/api/v1/approvals/${held.id}/approve`, undefined, second);
    await call("POST", `/api/v1/keys/${ec.id}/revoke`);
    await call("POST", `/api/v1/keys/${ec.id}/sign`, { message: B64 });
    const mac = (await call("POST", "/api/v1/keys", { name: "h", algorithm: "HMAC-SHA256" }))
      .body;
    const tag = (await call("POST", `/api/v1/keys/${mac.id}/mac`, { message: B64 })).body;
    await call("POST", `/api/v1/keys/${mac.id}/mac/verify`, { message: B64, mac: tag.mac });
    const kem = (await call("POST", "/api/v1/keys", { name: "k", algorithm: "ML-KEM-768" })).body;
    const enc = (await call("POST", `/api/v1/keys/${kem.id}/encapsulate`)).body;
    await call("POST", `/api/v1/keys/${kem.id}/decapsulate`, { ciphertext: enc.ciphertext });
    const staged = await call("POST", "/api/v1/keys", {
      name: "dc",
      algorithm: "Ed25519",
      dual_control: true,
    });
    await call("POST", `/api/v1/approvals/${staged.body.approval.id}/deny`, undefined, second);
    const destroy = (await call("DELETE", `/api/v1/keys/${aes.id}`)).body;
    await call("GET", `/api/v1/approvals/${destroy.id}`);
    await call("POST", `/api/v1/approvals/${destroy.id}/approve`);
    await call("GET", "/api/v1/approvals?state=pending");
    await call("GET", `/api/v1/keys/${aes.id}`);
    await call("GET", "/api/v1/keys?per_page=2");
    await call("GET", "/api/v1/keys?per_page=1000");
    await call("GET", "/api/v1/audit?limit=5", undefined, auditor);
    await call("GET", "/api/v1/audit/verify", undefined, auditor);
    await call("POST", "/api/v1/keys", { name: "x", algorithm: "AES-256-GCM" }, auditor);
    await call("GET", "/api/v1/keys/missing");
    await t.call(undefined, "GET", "/api/v1/keys");
    await t.call(undefined, "GET", "/healthz");
    await t.call(undefined, "GET", "/readyz");
    await t.call(undefined, "GET", "/metrics");
    await t.call(undefined, "GET", "/api/v1/openapi.json");
    await t.call(undefined, "GET", "/no/such/path");

    // Policies: create, read, versions, update, dry-run, a deny on a key, delete.
    const pol = (await call("POST", "/api/v1/policies", {
      name: "no mac",
      script: "export default (ctx) => ctx.action !== 'mac' || { deny: 'no MACs today' }",
      scope: { key_ids: [mac.id] },
    })).body;
    await call("GET", "/api/v1/policies");
    await call("GET", `/api/v1/policies/${pol.id}`);
    await call("GET", `/api/v1/policies/${pol.id}/versions`);
    await call("PUT", `/api/v1/policies/${pol.id}`, {
      name: "no mac",
      script: "export default (ctx) => ctx.action !== 'mac' || { deny: 'no MACs' }",
      scope: { key_ids: [mac.id] },
    });
    await call("POST", `/api/v1/policies/${pol.id}/dry-run`, {
      context: {
        actor: { sub: "svc", roles: ["Service"] },
        action: "mac",
        request: { time: "2025-01-06T09:30:00Z" },
      },
    });
    const refused = await call("POST", `/api/v1/keys/${mac.id}/mac`, { message: B64 });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, "policy_denied");
    await call("DELETE", `/api/v1/policies/${pol.id}`);
    await call("GET", "/api/v1/policies/missing");
    // Retention: receipts (the AES key's destruction above wrote one), the key, a run.
    await call("GET", "/api/v1/retention/receipts", undefined, auditor);
    await call("GET", "/api/v1/retention/attestation-key", undefined, auditor);
    await call("POST", "/api/v1/retention/run");

    const unseen = Object.keys(OPERATIONS).filter((id) => !SEEN.has(id as keyof typeof OPERATIONS));
    assert.deepEqual(unseen, [], "every operation was exercised");
    for (const status of [200, 201, 202, 400, 401, 403, 404, 409]) {
      assert.ok(
        [...SEEN.values()].some((s) => s.has(status)),
        `the tour produced a ${status}`,
      );
    }
  } finally {
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an answer the contract does not declare fails the conformance check", async () => {
  const { assertConforms } = await import("./_conformance.ts");
  assert.throws(() => assertConforms("GET", "/api/v1/keys/abc", 201, {}), /does not declare/);
  assert.throws(() => assertConforms("GET", "/api/v1/keys/abc", 200, { id: 1 }), /outside/);
  assert.throws(
    () =>
      assertConforms("GET", "/readyz", 409, {
        error: { code: "conflict", message: "no" },
      }),
    /does not declare/,
  );
  assertConforms("GET", "/api/v1/keys/abc", 404, { error: { code: "not_found", message: "x" } });
});
