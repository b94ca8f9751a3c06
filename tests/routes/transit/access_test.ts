/**
 * The Transit gate in process: tokens from `X-Vault-Token` or `Authorization: Bearer`,
 * every credential failure a 403 `permission denied`; RBAC as on `/api/v1`; audit entries
 * under the caller with the key id and the request id; Vault-shaped 429, 413 and 404;
 * random bytes.
 */

import assert from "node:assert/strict";
import { readResponse } from "../../../testing/server_process.ts";
import { makeTestApp } from "../_app.ts";
import { b64, transit } from "./_transit.ts";

const DENIED = { errors: ["permission denied"] };

Deno.test("tokens come from X-Vault-Token or a bearer header; failures are a bare 403", async () => {
  const t = await makeTestApp();
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    await transit(t, admin)("POST", "/keys/k");
    const bearer = await t.app.request("/v1/transit/keys/k", {
      headers: { Authorization: `Bearer ${admin}` },
    });
    assert.equal(bearer.status, 200);
    await bearer.body?.cancel();
    const tooLong = await t.inst.token("alice", ["Administrator"], { ttl: 301 }).catch(() =>
      "x.y.z"
    );
    for (const token of [undefined, "", "not-a-token", `${admin}x`, tooLong, "a b"]) {
      const res = await transit(t, token)("GET", "/keys/k");
      assert.equal(res.status, 403, String(token));
      assert.deepEqual(res.body, DENIED);
      assert.equal(res.headers.get("WWW-Authenticate"), null);
    }
    const unknown = await transit(t, undefined)("POST", "/no/such/path");
    assert.deepEqual(unknown.body, DENIED);
  } finally {
    await t.close();
  }
});

Deno.test("RBAC applies as on /api/v1, and each call is audited with its key and request id", async () => {
  const t = await makeTestApp();
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    const auditor = await t.inst.token("audrey", ["Auditor"]);
    const v = transit(t, admin);
    const id = (await v("POST", "/keys/k")).body.data.ferrohsm.id;
    const sealed = (await v("POST", "/encrypt/k", { plaintext: b64("x") })).body.data;

    const a = transit(t, auditor);
    assert.equal((await a("GET", "/keys/k")).status, 200);
    const refused = await a("POST", "/decrypt/k", sealed);
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body, {
      errors: ["permission denied: Cannot perform key:use:aes: not permitted"],
    });
    assert.equal((await a("POST", "/keys/k2")).status, 403);
    assert.equal((await a("POST", "/keys/k/rotate")).status, 403);

    const res = await readResponse(
      await t.app.request("/v1/transit/decrypt/k", {
        method: "POST",
        headers: { "X-Vault-Token": admin, "X-Request-Id": "vault-call-1" },
        body: JSON.stringify(sealed),
      }),
    );
    assert.equal(res.headers.get("X-Request-Id"), "vault-call-1");
    assert.equal(res.body.request_id, "vault-call-1");

    const audit = (await t.call(admin, "GET", "/api/v1/audit?limit=1000")).body.items as {
      actor: string;
      action: string;
      key_id: string | null;
      result: string;
      request_id?: string;
    }[];
    const decrypts = audit.filter((e) => e.action === "key.decrypt");
    assert.deepEqual(
      decrypts.map((e) => [e.actor, e.key_id, e.result]),
      [["audrey", id, "forbidden"], ["alice", id, "ok"]],
    );
    assert.equal(decrypts[1]?.request_id, "vault-call-1");
    const lookup = audit.find((e) => e.request_id === "vault-call-1" && e.action === "key.list");
    assert.equal(lookup, undefined, "the name was resolved earlier and remembered");
    assert.ok(audit.some((e) => e.action === "key.list" && e.actor === "audrey"));
    assert.equal((await t.call(admin, "GET", "/api/v1/audit/verify")).body.valid, true);
  } finally {
    await t.close();
  }
});

Deno.test("limits answer in Vault's shape: 429 with Retry-After, 413, and unknown paths 404", async () => {
  const t = await makeTestApp(["--rate-limit", "1"]);
  try {
    const v = transit(t, await t.inst.token("alice", ["Administrator"]));
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof v>> | undefined;
    for (let i = 0; i < 4 && limited === undefined; i++) {
      const res = await v("POST", "/random/8", {});
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    assert.ok(limited !== undefined, `no 429 in ${statuses}`);
    assert.deepEqual(limited.body, { errors: ["Too many requests, retry later"] });
    assert.ok(Number(limited.headers.get("Retry-After")) >= 1);
  } finally {
    await t.close();
  }
  const u = await makeTestApp();
  try {
    const v = transit(u, await u.inst.token("alice", ["Administrator"]));
    const big = await v("POST", "/encrypt/k", { plaintext: "A".repeat(1024 * 1024 + 8) });
    assert.equal(big.status, 413);
    assert.deepEqual(big.body, { errors: ["Request body exceeds 1 MiB"] });
    assert.deepEqual((await v("GET", "/export/encryption-key/k")).body, {
      errors: ["unsupported path"],
    });
    assert.equal((await v("POST", "/hash/sha2-256", { input: b64("x") })).status, 404);
  } finally {
    await u.close();
  }
});

Deno.test("random bytes come in the asked size and format", async () => {
  const t = await makeTestApp();
  try {
    const v = transit(t, await t.inst.token("svc", ["Service"]));
    assert.equal(atob((await v("POST", "/random", {})).body.data.random_bytes).length, 32);
    assert.equal(atob((await v("POST", "/random/48", {})).body.data.random_bytes).length, 48);
    const hex = (await v("POST", "/random/platform/16", { format: "hex" })).body.data.random_bytes;
    assert.match(hex, /^[0-9a-f]{32}$/);
    assert.equal(atob((await v("PUT", "/random", { bytes: 8 })).body.data.random_bytes).length, 8);
    for (const path of ["/random/0", "/random/131073", "/random/moon/8", "/random/x"]) {
      assert.equal((await v("POST", path, {})).status, 400, path);
    }
    assert.equal((await v("POST", "/random", { format: "binary" })).status, 400);
  } finally {
    await t.close();
  }
});
