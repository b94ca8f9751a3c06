/**
 * JWKS and sign-jwt over REST: tokens signed by the current version (ES256, ES384,
 * RS256, PS256, EdDSA) verify with `jose` against the key's JWKS, also after rotations
 * (older tokens by their `kid`); retired versions leave the JWKS; post-quantum keys list
 * their JWKs but cannot sign JWTs; the refusals, roles and audit entries.
 */

import assert from "node:assert/strict";
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose";
import { makeTestApp, type TestApp } from "./_app.ts";
import { auditOf } from "./_key_ops.ts";

async function withApp(fn: (t: TestApp, admin: string) => Promise<void>): Promise<void> {
  const t = await makeTestApp(["--key-store", "memory"]);
  try {
    await fn(t, await t.inst.token("alice", ["Administrator"]));
  } finally {
    await t.close();
  }
}

async function create(t: TestApp, token: string, algorithm: string, extra = {}): Promise<string> {
  const r = await t.call(token, "POST", "/api/v1/keys", { name: algorithm, algorithm, ...extra });
  assert.ok(r.status === 201 || r.status === 202, JSON.stringify(r.body));
  return r.status === 201 ? r.body.id : r.body.key.id;
}

async function jwks(t: TestApp, token: string, id: string): Promise<JSONWebKeySet> {
  const r = await t.call(token, "GET", `/api/v1/keys/${id}/jwks`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

const CLAIMS = { iss: "ferrohsm-test", sub: "alice", aud: "shop", exp: 4_000_000_000 };

Deno.test("JWTs of every JOSE-capable algorithm verify with jose against the key's JWKS", async () => {
  await withApp(async (t, admin) => {
    const cases: [string, string | undefined, string][] = [
      ["EC-P256", undefined, "ES256"],
      ["EC-P384", undefined, "ES384"],
      ["Ed25519", undefined, "EdDSA"],
      ["RSA-2048", undefined, "RS256"],
      ["RSA-2048", "PS256", "PS256"],
      ["RSA-2048", "RS512", "RS512"],
    ];
    const ids = new Map<string, string>();
    for (const [algorithm, requested, alg] of cases) {
      const id = ids.get(algorithm) ?? await create(t, admin, algorithm);
      ids.set(algorithm, id);
      const r = await t.call(admin, "POST", `/api/v1/keys/${id}/sign-jwt`, {
        claims: CLAIMS,
        ...(requested === undefined ? {} : { alg: requested }),
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual([r.body.alg, r.body.kid, r.body.version], [alg, `${id}.1`, 1]);
      const set = await jwks(t, admin, id);
      const { payload, protectedHeader } = await jwtVerify(r.body.jwt, createLocalJWKSet(set), {
        algorithms: [alg],
        issuer: "ferrohsm-test",
        audience: "shop",
      });
      assert.deepEqual(payload, CLAIMS);
      assert.deepEqual(protectedHeader, { alg, typ: "JWT", kid: `${id}.1` });
    }
  });
});

Deno.test("after rotations the JWKS lists every version and verifies old and new tokens", async () => {
  await withApp(async (t, admin) => {
    const id = await create(t, admin, "EC-P256");
    const old = await t.call(admin, "POST", `/api/v1/keys/${id}/sign-jwt`, { claims: CLAIMS });
    await t.call(admin, "POST", `/api/v1/keys/${id}/rotate`);
    await t.call(admin, "POST", `/api/v1/keys/${id}/rotate`);
    const fresh = await t.call(admin, "POST", `/api/v1/keys/${id}/sign-jwt`, { claims: CLAIMS });
    assert.equal(decodeProtectedHeader(fresh.body.jwt).kid, `${id}.3`);
    const set = await jwks(t, admin, id);
    assert.deepEqual(set.keys.map((k) => k.kid), [`${id}.1`, `${id}.2`, `${id}.3`]);
    for (const k of set.keys) {
      assert.deepEqual([k.kty, k.crv, k.alg, k.use], ["EC", "P-256", "ES256", "sig"]);
      assert.equal(k.d, undefined, "no private member");
    }
    const verifier = createLocalJWKSet(set);
    for (const token of [old.body.jwt, fresh.body.jwt]) {
      await jwtVerify(token, verifier, { audience: "shop" });
    }
    // Retiring version 1 drops it from the JWKS: relying parties refuse its tokens too.
    const patched = await t.call(admin, "PATCH", `/api/v1/keys/${id}`, {
      min_decryption_version: 2,
    });
    assert.equal(patched.status, 200);
    const retired = await jwks(t, admin, id);
    assert.deepEqual(retired.keys.map((k) => k.kid), [`${id}.2`, `${id}.3`]);
    await assert.rejects(jwtVerify(old.body.jwt, createLocalJWKSet(retired)));
    // A revoked key keeps its JWKS (verification goes on) but signs no more.
    await t.call(admin, "POST", `/api/v1/keys/${id}/revoke`);
    assert.equal((await jwks(t, admin, id)).keys.length, 2);
    const refused = await t.call(admin, "POST", `/api/v1/keys/${id}/sign-jwt`, { claims: CLAIMS });
    assert.equal(refused.status, 409);
  });
});

Deno.test("post-quantum keys list AKP JWKs but sign no JWT; symmetric and staged keys have none", async () => {
  await withApp(async (t, admin) => {
    const dsa = await create(t, admin, "ML-DSA-65");
    const set = await jwks(t, admin, dsa);
    assert.deepEqual([set.keys[0]?.kty, set.keys[0]?.alg, set.keys[0]?.kid], [
      "AKP",
      "ML-DSA-65",
      `${dsa}.1`,
    ]);
    const sign = await t.call(admin, "POST", `/api/v1/keys/${dsa}/sign-jwt`, { claims: CLAIMS });
    assert.equal(sign.status, 400);
    assert.match(sign.body.error.message, /no JWS algorithm/);
    const kem = await create(t, admin, "ML-KEM-768");
    assert.equal((await jwks(t, admin, kem)).keys[0]?.use, "enc");
    const aes = await create(t, admin, "AES-256-GCM");
    assert.equal((await t.call(admin, "GET", `/api/v1/keys/${aes}/jwks`)).status, 400);
    const staged = await create(t, admin, "EC-P256", { dual_control: true });
    assert.equal((await t.call(admin, "GET", `/api/v1/keys/${staged}/jwks`)).status, 409);
    const ec = await create(t, admin, "EC-P256");
    const cases: [unknown, number][] = [
      [{ claims: CLAIMS, alg: "RS256" }, 400],
      [{ claims: CLAIMS, alg: "none" }, 400],
      [{ claims: "x" }, 400],
      [{ claims: [1, 2] }, 400],
      [{}, 400],
    ];
    for (const [body, status] of cases) {
      const r = await t.call(admin, "POST", `/api/v1/keys/${ec}/sign-jwt`, body);
      assert.equal(r.status, status, JSON.stringify(body));
    }
    const missing = await t.call(admin, "GET", "/api/v1/keys/missing/jwks");
    assert.equal(missing.status, 404);
  });
});

Deno.test("JWKS needs key:read and sign-jwt key:use; both are audited without the claims", async () => {
  await withApp(async (t, admin) => {
    const id = await create(t, admin, "Ed25519");
    const auditor = await t.inst.token("audrey", ["Auditor"]);
    const service = await t.inst.token("svc", ["Service"]);
    assert.equal((await t.call(auditor, "GET", `/api/v1/keys/${id}/jwks`)).status, 200);
    assert.equal(
      (await t.call(auditor, "POST", `/api/v1/keys/${id}/sign-jwt`, { claims: CLAIMS })).status,
      403,
    );
    const signed = await t.call(service, "POST", `/api/v1/keys/${id}/sign-jwt`, {
      claims: { secret_claim: "s3cr3t-value" },
    });
    assert.equal(signed.status, 200);
    assert.deepEqual((await auditOf(t, "key.jwks")).map((e) => [e.actor, e.result]), [
      ["audrey", "ok"],
    ]);
    assert.deepEqual((await auditOf(t, "key.sign_jwt")).map((e) => [e.actor, e.result]), [
      ["audrey", "forbidden"],
      ["svc", "ok"],
    ]);
    const all = JSON.stringify((await t.call(auditor, "GET", "/api/v1/audit?limit=1000")).body);
    assert.ok(!all.includes("s3cr3t-value"));
    const versions = await t.call(admin, "GET", `/api/v1/keys/${id}/versions`);
    assert.equal(versions.body.items[0].operations, 1, "sign-jwt counts as an operation");
  });
});
