/**
 * The contract's error behaviour: one 401 body for every bad credential, RBAC 403s,
 * 404s, validation 400s, the 1 MiB body limit (413), and fail-closed audit (503).
 */

import assert from "node:assert/strict";
import { MemoryAuditStore } from "../../src/storage/memory/audit_store.ts";
import { makeTestApp } from "./_app.ts";

Deno.test("every bad credential answers the same 401 body with WWW-Authenticate", async () => {
  const t = await makeTestApp(["--key-store", "memory"]);
  try {
    const bodies = [];
    for (
      const token of [
        undefined,
        "not-a-jwt",
        "a.b.c",
        (await t.inst.token("alice", ["Administrator"])).slice(0, -2) + "AA",
      ]
    ) {
      const r = await t.call(token, "GET", "/api/v1/keys");
      assert.equal(r.status, 401);
      assert.match(r.headers.get("WWW-Authenticate") ?? "", /^Bearer/);
      bodies.push(JSON.stringify(r.body));
    }
    assert.equal(new Set(bodies).size, 1);
    assert.deepEqual(JSON.parse(bodies[0] as string), {
      error: { code: "unauthenticated", message: "Invalid or expired credentials" },
    });
  } finally {
    await t.close();
  }
});

Deno.test("RBAC: auditors read keys and the log but never use keys", async () => {
  const t = await makeTestApp(["--key-store", "memory"]);
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    const auditor = await t.inst.token("eve", ["Auditor"]);
    const service = await t.inst.token("svc", ["Service"]);
    const operator = await t.inst.token("op", ["Operator"]);
    const key = await t.call(admin, "POST", "/api/v1/keys", {
      name: "k",
      algorithm: "HMAC-SHA256",
    });
    assert.equal(key.status, 201);
    const id = key.body.id;
    assert.equal((await t.call(auditor, "GET", `/api/v1/keys/${id}`)).status, 200);
    assert.equal((await t.call(auditor, "GET", "/api/v1/audit")).status, 200);
    const use = await t.call(auditor, "POST", `/api/v1/keys/${id}/mac`, { message: "aGk=" });
    assert.equal(use.status, 403);
    assert.equal(use.body.error.code, "forbidden");
    assert.equal(
      (await t.call(service, "POST", `/api/v1/keys/${id}/mac`, { message: "aGk=" })).status,
      200,
    );
    assert.equal(
      (await t.call(service, "POST", "/api/v1/keys", { name: "x", algorithm: "Ed25519" })).status,
      403,
    );
    assert.equal((await t.call(service, "GET", "/api/v1/audit")).status, 403);
    assert.equal((await t.call(operator, "POST", `/api/v1/keys/${id}/rotate`)).status, 200);
    const destroy = await t.call(operator, "DELETE", `/api/v1/keys/${id}`);
    assert.equal(destroy.status, 202);
    // Operators may request destruction but not decide approvals.
    const decide = await t.call(operator, "POST", `/api/v1/approvals/${destroy.body.id}/approve`);
    assert.equal(decide.status, 403);
    const log = await t.call(admin, "GET", "/api/v1/audit?limit=1000");
    const denied = log.body.items.filter((e: { result: string }) => e.result === "forbidden");
    assert.ok(denied.length >= 4, "forbidden attempts are audited");
  } finally {
    await t.close();
  }
});

Deno.test("bad input answers 400, unknown keys 404, oversized bodies 413", async () => {
  const t = await makeTestApp(["--key-store", "memory"]);
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    const cases: [string, string, unknown, number, string][] = [
      ["POST", "/api/v1/keys", { name: "k", algorithm: "DES" }, 400, "invalid_request"],
      [
        "POST",
        "/api/v1/keys",
        { name: "k", algorithm: "AES-256-GCM", extra: 1 },
        400,
        "invalid_request",
      ],
      [
        "POST",
        "/api/v1/keys",
        { name: "k", algorithm: "EC-P256", usage: ["encrypt"] },
        400,
        "invalid_request",
      ],
      ["POST", "/api/v1/keys", "{not json", 400, "invalid_request"],
      ["GET", "/api/v1/keys?per_page=101", undefined, 400, "invalid_request"],
      ["GET", "/api/v1/keys/00000000-0000-4000-8000-000000000000", undefined, 404, "not_found"],
      ["GET", "/api/v1/keys/..%2f..%2fetc", undefined, 400, "invalid_request"],
      ["GET", "/api/v1/nothing", undefined, 404, "not_found"],
    ];
    for (const [method, path, body, status, code] of cases) {
      const r = await t.call(admin, method, path, body);
      assert.equal(r.status, status, `${method} ${path}`);
      assert.equal(r.body.error.code, code, `${method} ${path}`);
      assert.equal(typeof r.body.error.message, "string");
    }
    const aes = await t.call(admin, "POST", "/api/v1/keys", {
      name: "k",
      algorithm: "AES-256-GCM",
    });
    const badB64 = await t.call(admin, "POST", `/api/v1/keys/${aes.body.id}/encrypt`, {
      plaintext: "not base64!",
    });
    assert.equal(badB64.status, 400);
    assert.match(badB64.body.error.message, /plaintext/);
    const form = await t.app.request("/api/v1/keys", {
      method: "POST",
      headers: {
        Authorization: `Bearer ${admin}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: JSON.stringify({ name: "k", algorithm: "AES-256-GCM" }),
    });
    assert.equal(form.status, 400);
    assert.match((await form.json()).error.message, /expected Content-Type: application\/json/);
    const big = "A".repeat(1024 * 1024 + 16);
    const r = await t.call(admin, "POST", `/api/v1/keys/${aes.body.id}/encrypt`, {
      plaintext: big,
    });
    assert.equal(r.status, 413);
    assert.equal(r.body.error.code, "payload_too_large");
  } finally {
    await t.close();
  }
});

Deno.test("an operation is refused with 503 when its audit entry cannot be written", async () => {
  const store = new MemoryAuditStore();
  const t = await makeTestApp(["--key-store", "memory"], { auditStore: store });
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    store.failNextAppend(1);
    const r = await t.call(admin, "POST", "/api/v1/keys", { name: "k", algorithm: "AES-256-GCM" });
    assert.equal(r.status, 503);
    assert.equal(r.body.error.code, "audit_unavailable");
    const list = await t.call(admin, "GET", "/api/v1/keys");
    assert.equal(list.status, 200);
    assert.equal(list.body.total, 0, "the unaudited key was never created");
    const key = await t.call(admin, "POST", "/api/v1/keys", {
      name: "k",
      algorithm: "AES-256-GCM",
    });
    store.failNextAppend(1);
    const enc = await t.call(admin, "POST", `/api/v1/keys/${key.body.id}/encrypt`, {
      plaintext: "aGk=",
    });
    assert.equal(enc.status, 503);
    assert.equal(enc.body.ciphertext, undefined);
    const verify = await t.call(admin, "GET", "/api/v1/audit/verify");
    assert.equal(verify.body.valid, true, JSON.stringify(verify.body));
  } finally {
    await t.close();
  }
});

Deno.test("the OpenAPI document is public and describes the key endpoints", async () => {
  const t = await makeTestApp(["--key-store", "memory"]);
  try {
    const r = await t.call(undefined, "GET", "/api/v1/openapi.json");
    assert.equal(r.status, 200);
    assert.equal(r.body.openapi, "3.1.0");
    assert.ok(r.body.paths["/api/v1/keys/{id}/sign"]);
    const anonymous = await t.call(undefined, "GET", "/healthz");
    assert.equal(anonymous.status, 200);
    assert.deepEqual(Object.keys(anonymous.body).sort(), ["status", "uptime_s"]);
    const h = await t.call(await t.inst.token("ops", ["Auditor"]), "GET", "/healthz");
    assert.equal(h.status, 200);
    assert.equal(h.body.status, "ok");
    assert.equal(h.body.self_test, "passed");
    for (const store of ["key", "audit", "approval"]) {
      assert.equal(h.body.stores[store].ok, true, `${store} store reachable`);
    }
    assert.equal(typeof h.body.audit_head_seq, "number");
    assert.equal(h.body.rate_limiter.actor.maxActors, 4096);
    const ready = await t.call(undefined, "GET", "/readyz");
    assert.deepEqual(ready.body, { status: "ready" });
  } finally {
    await t.close();
  }
});
