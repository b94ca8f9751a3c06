/**
 * Every algorithm of the contract through the REST API: create, its operations, the
 * public key, and the negative matrix (wrong usage, flipped data, wrong version).
 */

import assert from "node:assert/strict";
import { makeTestApp, type TestApp } from "./_app.ts";

const MSG = btoa("the quick brown fox");

async function create(t: TestApp, token: string, algorithm: string, usage?: string[]) {
  const r = await t.call(token, "POST", "/api/v1/keys", {
    name: `k-${algorithm}`,
    algorithm,
    ...(usage === undefined ? {} : { usage }),
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id as string;
}

function flip(b64: string): string {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 1;
  return btoa(String.fromCharCode(...bytes));
}

Deno.test("signature algorithms sign, verify, and reject altered signatures over REST", async (t) => {
  const app = await makeTestApp(["--key-store", "memory"]);
  try {
    const admin = await app.inst.token("alice", ["Administrator"]);
    const cases: [string, Record<string, unknown>][] = [
      ["EC-P256", {}],
      ["EC-P256", { signature_format: "raw" }],
      ["EC-P384", {}],
      ["RSA-2048", {}],
      ["RSA-2048", { padding: "pss" }],
      ["Ed25519", {}],
      ["ML-DSA-44", {}],
      ["ML-DSA-65", {}],
      ["ML-DSA-87", {}],
    ];
    const ids = new Map<string, string>();
    for (const [alg, opts] of cases) {
      await t.step(`${alg} ${JSON.stringify(opts)}`, async () => {
        const id = ids.get(alg) ?? await create(app, admin, alg);
        ids.set(alg, id);
        const s = await app.call(admin, "POST", `/api/v1/keys/${id}/sign`, {
          message: MSG,
          ...opts,
        });
        assert.equal(s.status, 200, JSON.stringify(s.body));
        assert.equal(s.body.version, 1);
        const v = await app.call(admin, "POST", `/api/v1/keys/${id}/verify`, {
          message: MSG,
          signature: s.body.signature,
          ...opts,
        });
        assert.deepEqual(v.body, { valid: true, version: 1 });
        const bad = await app.call(admin, "POST", `/api/v1/keys/${id}/verify`, {
          message: MSG,
          signature: flip(s.body.signature),
          ...opts,
        });
        assert.equal(bad.status, 200);
        assert.equal(bad.body.valid, false);
        const other = await app.call(admin, "POST", `/api/v1/keys/${id}/verify`, {
          message: btoa("another message"),
          signature: s.body.signature,
          ...opts,
        });
        assert.equal(other.body.valid, false);
        const pub = await app.call(admin, "GET", `/api/v1/keys/${id}/public`);
        assert.equal(pub.status, 200);
        assert.match(pub.body.pem, /^-----BEGIN PUBLIC KEY-----\n/);
        assert.equal(typeof pub.body.jwk.kty, "string");
        assert.equal(pub.body.jwk.d, undefined, "no private member in the JWK");
      });
    }

    await t.step("ECDSA signs a prehashed digest that verifies as a message", async () => {
      const id = ids.get("EC-P256") as string;
      const digest = new Uint8Array(
        await crypto.subtle.digest("SHA-256", Uint8Array.from(atob(MSG), (c) => c.charCodeAt(0))),
      );
      const s = await app.call(admin, "POST", `/api/v1/keys/${id}/sign`, {
        digest: btoa(String.fromCharCode(...digest)),
      });
      assert.equal(s.status, 200, JSON.stringify(s.body));
      const v = await app.call(admin, "POST", `/api/v1/keys/${id}/verify`, {
        message: MSG,
        signature: s.body.signature,
      });
      assert.equal(v.body.valid, true);
      const short = await app.call(admin, "POST", `/api/v1/keys/${id}/sign`, {
        digest: btoa("short"),
      });
      assert.equal(short.status, 400);
    });

    await t.step("Ed25519 refuses digests and hash options", async () => {
      const id = ids.get("Ed25519") as string;
      const r = await app.call(admin, "POST", `/api/v1/keys/${id}/sign`, {
        digest: btoa("x".repeat(32)),
      });
      assert.equal(r.status, 400);
    });

    await t.step("verify with an unknown version answers 404", async () => {
      const id = ids.get("Ed25519") as string;
      const r = await app.call(admin, "POST", `/api/v1/keys/${id}/verify`, {
        message: MSG,
        signature: btoa("x"),
        version: 9,
      });
      assert.equal(r.status, 404);
    });
  } finally {
    await app.close();
  }
});

Deno.test("encryption, MAC and KEM operations round-trip; wrong usage is refused", async () => {
  const app = await makeTestApp(["--key-store", "memory"]);
  try {
    const admin = await app.inst.token("alice", ["Administrator"]);
    const rsa = await create(app, admin, "RSA-3072", ["encrypt", "decrypt"]);
    const enc = await app.call(admin, "POST", `/api/v1/keys/${rsa}/encrypt`, { plaintext: MSG });
    assert.equal(enc.status, 200);
    const dec = await app.call(admin, "POST", `/api/v1/keys/${rsa}/decrypt`, {
      ciphertext: enc.body.ciphertext,
    });
    assert.equal(dec.body.plaintext, MSG);
    const sign = await app.call(admin, "POST", `/api/v1/keys/${rsa}/sign`, { message: MSG });
    assert.equal(sign.status, 400, "RSA key created for encryption cannot sign");

    const hmac = await create(app, admin, "HMAC-SHA256");
    const mac = await app.call(admin, "POST", `/api/v1/keys/${hmac}/mac`, { message: MSG });
    assert.equal(mac.status, 200);
    assert.equal(atob(mac.body.mac).length, 32);
    const ok = await app.call(admin, "POST", `/api/v1/keys/${hmac}/mac/verify`, {
      message: MSG,
      mac: mac.body.mac,
    });
    assert.equal(ok.body.valid, true);
    const bad = await app.call(admin, "POST", `/api/v1/keys/${hmac}/mac/verify`, {
      message: MSG,
      mac: flip(mac.body.mac),
    });
    assert.equal(bad.body.valid, false);
    const noPub = await app.call(admin, "GET", `/api/v1/keys/${hmac}/public`);
    assert.equal(noPub.status, 400);

    for (const alg of ["ML-KEM-512", "ML-KEM-768", "ML-KEM-1024"]) {
      const kem = await create(app, admin, alg);
      const e = await app.call(admin, "POST", `/api/v1/keys/${kem}/encapsulate`);
      assert.equal(e.status, 200);
      const d = await app.call(admin, "POST", `/api/v1/keys/${kem}/decapsulate`, {
        ciphertext: e.body.ciphertext,
      });
      assert.equal(d.status, 200);
      assert.equal(d.body.shared_secret, e.body.shared_secret);
      const pub = await app.call(admin, "GET", `/api/v1/keys/${kem}/public`);
      assert.equal(pub.body.jwk.kty, "AKP");
    }

    const aes = await create(app, admin, "AES-256-GCM");
    const e = await app.call(admin, "POST", `/api/v1/keys/${aes}/encrypt`, { plaintext: MSG });
    const [, , body] = (e.body.ciphertext as string).split(":");
    const tampered = await app.call(admin, "POST", `/api/v1/keys/${aes}/decrypt`, {
      ciphertext: `fhsm:v1:${flip(body as string)}`,
    });
    assert.equal(tampered.status, 400);
    assert.equal(tampered.body.error.message, "Decryption failed");
    const truncated = await app.call(admin, "POST", `/api/v1/keys/${aes}/decrypt`, {
      ciphertext: "fhsm:v1:AAAA",
    });
    assert.equal(truncated.status, 400);
    const future = await app.call(admin, "POST", `/api/v1/keys/${aes}/decrypt`, {
      ciphertext: `fhsm:v7:${body}`,
    });
    assert.equal(future.status, 404);
    const aesSign = await app.call(admin, "POST", `/api/v1/keys/${aes}/sign`, { message: MSG });
    assert.equal(aesSign.status, 400);
  } finally {
    await app.close();
  }
});

Deno.test("a dual-control key stays staged and unusable until a second actor approves", async () => {
  const app = await makeTestApp(["--key-store", "memory"]);
  try {
    const alice = await app.inst.token("alice", ["Administrator"]);
    const bob = await app.inst.token("bob", ["Administrator"]);
    const r = await app.call(alice, "POST", "/api/v1/keys", {
      name: "dc",
      algorithm: "Ed25519",
      dual_control: true,
    });
    assert.equal(r.status, 202);
    assert.equal(r.body.key.state, "staged");
    assert.equal(r.body.approval.action, "key.activate");
    const id = r.body.key.id;
    const use = await app.call(alice, "POST", `/api/v1/keys/${id}/sign`, { message: MSG });
    assert.equal(use.status, 409);
    assert.equal(
      (await app.call(alice, "POST", `/api/v1/approvals/${r.body.approval.id}/approve`)).status,
      403,
    );
    const ok = await app.call(bob, "POST", `/api/v1/approvals/${r.body.approval.id}/approve`);
    assert.equal(ok.body.state, "executed");
    const key = await app.call(alice, "GET", `/api/v1/keys/${id}`);
    assert.equal(key.body.state, "active");
    assert.equal(
      (await app.call(alice, "POST", `/api/v1/keys/${id}/sign`, { message: MSG })).status,
      200,
    );
  } finally {
    await app.close();
  }
});
