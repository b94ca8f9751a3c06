/**
 * Envelope encryption over REST: data keys (128/256 bits, with or without plaintext,
 * AAD-bound, under AES and RSA keys) whose ciphertext decrypts to the returned plaintext,
 * rewrap to the current version after rotations (plaintext unchanged and never
 * returned), the refusals (size, usage, state, AAD, tampering, retired version, roles),
 * usage counters and the audit entries.
 */

import assert from "node:assert/strict";
import { fromBase64 } from "../../src/core/encoding.ts";
import { makeTestApp, type TestApp } from "./_app.ts";
import { auditOf } from "./_key_ops.ts";

const AAD = btoa("context: invoice 42");

async function withApp(fn: (t: TestApp, admin: string) => Promise<void>): Promise<void> {
  const t = await makeTestApp(["--key-store", "memory"]);
  try {
    await fn(t, await t.inst.token("alice", ["Administrator"]));
  } finally {
    await t.close();
  }
}

async function create(t: TestApp, token: string, algorithm: string, usage?: string[]) {
  const r = await t.call(token, "POST", "/api/v1/keys", {
    name: algorithm,
    algorithm,
    ...(usage === undefined ? {} : { usage }),
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id as string;
}

Deno.test("data keys decrypt to the plaintext they came with, AAD bound", async () => {
  await withApp(async (t, admin) => {
    const aes = await create(t, admin, "AES-256-GCM");
    for (const bits of [128, 256]) {
      const dk = await t.call(admin, "POST", `/api/v1/keys/${aes}/datakey`, { bits, aad: AAD });
      assert.equal(dk.status, 200, JSON.stringify(dk.body));
      assert.equal(dk.body.version, 1);
      assert.match(dk.body.ciphertext, /^fhsm:v1:/);
      assert.equal(fromBase64(dk.body.plaintext)?.length, bits / 8);
      const back = await t.call(admin, "POST", `/api/v1/keys/${aes}/decrypt`, {
        ciphertext: dk.body.ciphertext,
        aad: AAD,
      });
      assert.equal(back.body.plaintext, dk.body.plaintext);
      const noAad = await t.call(admin, "POST", `/api/v1/keys/${aes}/decrypt`, {
        ciphertext: dk.body.ciphertext,
      });
      assert.equal(noAad.status, 400);
    }
    const hidden = await t.call(admin, "POST", `/api/v1/keys/${aes}/datakey`, {
      bits: 256,
      plaintext: false,
    });
    assert.deepEqual(Object.keys(hidden.body).sort(), ["ciphertext", "version"]);
    const defaults = await t.call(admin, "POST", `/api/v1/keys/${aes}/datakey`, {});
    assert.equal(fromBase64(defaults.body.plaintext)?.length, 32, "256 bits with plaintext");
    const two = await Promise.all(
      [1, 2].map(() => t.call(admin, "POST", `/api/v1/keys/${aes}/datakey`, {})),
    );
    assert.notEqual(two[0]?.body.plaintext, two[1]?.body.plaintext);
  });
});

Deno.test("an RSA key wraps data keys with OAEP", async () => {
  await withApp(async (t, admin) => {
    const rsa = await create(t, admin, "RSA-2048", ["encrypt", "decrypt"]);
    const dk = await t.call(admin, "POST", `/api/v1/keys/${rsa}/datakey`, { bits: 256 });
    assert.equal(dk.status, 200);
    assert.equal(fromBase64(dk.body.ciphertext)?.length, 256);
    const back = await t.call(admin, "POST", `/api/v1/keys/${rsa}/decrypt`, {
      ciphertext: dk.body.ciphertext,
    });
    assert.equal(back.body.plaintext, dk.body.plaintext);
  });
});

Deno.test("data key refusals: size, usage, state and role", async () => {
  await withApp(async (t, admin) => {
    const aes = await create(t, admin, "AES-256-GCM");
    const hmac = await create(t, admin, "HMAC-SHA256");
    const decryptOnly = await create(t, admin, "AES-256-GCM", ["decrypt"]);
    const cases: [string, unknown, number][] = [
      [aes, { bits: 512 }, 400],
      [aes, { bits: 256, plaintext: "yes" }, 400],
      [aes, { bits: 256, extra: 1 }, 400],
      [hmac, { bits: 256 }, 400],
      [decryptOnly, { bits: 256 }, 400],
      ["missing", { bits: 256 }, 404],
    ];
    for (const [id, body, status] of cases) {
      const r = await t.call(admin, "POST", `/api/v1/keys/${id}/datakey`, body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    }
    const auditor = await t.inst.token("audrey", ["Auditor"]);
    assert.equal((await t.call(auditor, "POST", `/api/v1/keys/${aes}/datakey`, {})).status, 403);
    const service = await t.inst.token("svc", ["Service"]);
    assert.equal((await t.call(service, "POST", `/api/v1/keys/${aes}/datakey`, {})).status, 200);
    await t.call(admin, "POST", `/api/v1/keys/${aes}/revoke`);
    const revoked = await t.call(admin, "POST", `/api/v1/keys/${aes}/datakey`, {});
    assert.equal(revoked.status, 409);
    const entries = await auditOf(t, "key.datakey");
    assert.deepEqual(entries.map((e) => e.result).slice(-3), ["forbidden", "ok", "invalid_state"]);
  });
});

Deno.test("rewrap moves ciphertexts to the current version without returning plaintext", async () => {
  await withApp(async (t, admin) => {
    const aes = await create(t, admin, "AES-256-GCM");
    const plaintext = btoa("rewrap me");
    const v1 = await t.call(admin, "POST", `/api/v1/keys/${aes}/encrypt`, { plaintext, aad: AAD });
    await t.call(admin, "POST", `/api/v1/keys/${aes}/rotate`);
    await t.call(admin, "POST", `/api/v1/keys/${aes}/rotate`);
    const r = await t.call(admin, "POST", `/api/v1/keys/${aes}/rewrap`, {
      ciphertext: v1.body.ciphertext,
      aad: AAD,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body).sort(), ["ciphertext", "version"]);
    assert.equal(r.body.version, 3);
    assert.match(r.body.ciphertext, /^fhsm:v3:/);
    const back = await t.call(admin, "POST", `/api/v1/keys/${aes}/decrypt`, {
      ciphertext: r.body.ciphertext,
      aad: AAD,
    });
    assert.equal(back.body.plaintext, plaintext);

    const refusals: [unknown, number, string][] = [
      [{ ciphertext: v1.body.ciphertext }, 400, "invalid_request"], // AAD missing
      [{ ciphertext: v1.body.ciphertext.slice(0, -4) + "AAAA", aad: AAD }, 400, "invalid_request"],
      [
        { ciphertext: "fhsm:v9:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
        404,
        "not_found",
      ],
      [{ ciphertext: "not a ciphertext" }, 400, "invalid_request"],
    ];
    for (const [body, status, code] of refusals) {
      const bad = await t.call(admin, "POST", `/api/v1/keys/${aes}/rewrap`, body);
      assert.equal(bad.status, status, JSON.stringify(bad.body));
      assert.equal(bad.body.error.code, code);
    }
    await t.call(admin, "PATCH", `/api/v1/keys/${aes}`, { min_decryption_version: 2 });
    const retired = await t.call(admin, "POST", `/api/v1/keys/${aes}/rewrap`, {
      ciphertext: v1.body.ciphertext,
      aad: AAD,
    });
    assert.equal(retired.status, 409);
    assert.match(retired.body.error.message, /versions below 2 are retired/);

    const entries = await auditOf(t, "key.rewrap");
    assert.equal(entries.length, 6);
    assert.deepEqual(entries.map((e) => e.result), [
      "ok",
      "invalid_request",
      "invalid_request",
      "not_found",
      "invalid_request",
      "invalid_state",
    ]);
  });
});

Deno.test("rewrap needs both usages on an active key and works for RSA with a version", async () => {
  await withApp(async (t, admin) => {
    const encryptOnly = await create(t, admin, "AES-256-GCM", ["encrypt"]);
    const ct = await t.call(admin, "POST", `/api/v1/keys/${encryptOnly}/encrypt`, {
      plaintext: btoa("x"),
    });
    const r = await t.call(admin, "POST", `/api/v1/keys/${encryptOnly}/rewrap`, {
      ciphertext: ct.body.ciphertext,
    });
    assert.equal(r.status, 400);
    const rsa = await create(t, admin, "RSA-2048", ["encrypt", "decrypt"]);
    const old = await t.call(admin, "POST", `/api/v1/keys/${rsa}/encrypt`, {
      plaintext: btoa("y"),
    });
    await t.call(admin, "POST", `/api/v1/keys/${rsa}/rotate`);
    const moved = await t.call(admin, "POST", `/api/v1/keys/${rsa}/rewrap`, {
      ciphertext: old.body.ciphertext,
      version: 1,
    });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.version, 2);
    const back = await t.call(admin, "POST", `/api/v1/keys/${rsa}/decrypt`, {
      ciphertext: moved.body.ciphertext,
      version: 2,
    });
    assert.equal(back.body.plaintext, btoa("y"));
    await t.call(admin, "POST", `/api/v1/keys/${rsa}/revoke`);
    const revoked = await t.call(admin, "POST", `/api/v1/keys/${rsa}/rewrap`, {
      ciphertext: moved.body.ciphertext,
      version: 2,
    });
    assert.equal(revoked.status, 409, "a revoked key decrypts but no longer rewraps");
  });
});
