/**
 * Post-quantum and hybrid keys through the REST API: hybrid KEMs encapsulate and
 * decapsulate, SLH-DSA and composite keys sign and verify with a context, ML-DSA signs a
 * SHA-512 digest in its pre-hash variant, and `/public` serves `raw` and, for hybrids and
 * composites, the components. Options an algorithm does not take are refused.
 */

import assert from "node:assert/strict";
import { makeTestApp } from "./_app.ts";

const MSG = btoa("post-quantum message");
const CTX = btoa("ctx-1");

Deno.test("hybrid KEM keys encapsulate and decapsulate the same shared secret", async () => {
  const t = await makeTestApp();
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    for (const algorithm of ["ML-KEM-768-X25519", "ML-KEM-768-P256", "ML-KEM-1024-P384"]) {
      const key = await t.call(admin, "POST", "/api/v1/keys", { name: algorithm, algorithm });
      assert.equal(key.status, 201, algorithm);
      const enc = await t.call(admin, "POST", `/api/v1/keys/${key.body.id}/encapsulate`);
      assert.equal(enc.status, 200);
      const dec = await t.call(admin, "POST", `/api/v1/keys/${key.body.id}/decapsulate`, {
        ciphertext: enc.body.ciphertext,
      });
      assert.equal(dec.body.shared_secret, enc.body.shared_secret, algorithm);
      const pub = await t.call(admin, "GET", `/api/v1/keys/${key.body.id}/public`);
      assert.ok(pub.body.raw.length > 0);
      assert.equal(pub.body.components.length, 2, `${algorithm} components`);
      assert.match(pub.body.pem, /BEGIN PUBLIC KEY/);
    }
  } finally {
    await t.close();
  }
});

Deno.test("SLH-DSA and composite keys sign and verify with a context; a wrong context fails", async () => {
  const t = await makeTestApp();
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    for (const algorithm of ["SLH-DSA-SHAKE-128f", "ML-DSA-65-EC-P256", "ML-DSA-87-EC-P384"]) {
      const key = await t.call(admin, "POST", "/api/v1/keys", { name: algorithm, algorithm });
      const id = key.body.id;
      const sig = await t.call(admin, "POST", `/api/v1/keys/${id}/sign`, {
        message: MSG,
        context: CTX,
      });
      assert.equal(sig.status, 200, algorithm);
      const ok = await t.call(admin, "POST", `/api/v1/keys/${id}/verify`, {
        message: MSG,
        context: CTX,
        signature: sig.body.signature,
      });
      assert.equal(ok.body.valid, true, algorithm);
      const wrong = await t.call(admin, "POST", `/api/v1/keys/${id}/verify`, {
        message: MSG,
        context: btoa("other"),
        signature: sig.body.signature,
      });
      assert.equal(wrong.body.valid, false, `${algorithm} with another context`);
      const pub = await t.call(admin, "GET", `/api/v1/keys/${id}/public`);
      assert.ok(pub.body.raw.length > 0);
      if (algorithm.includes("-EC-")) assert.equal(pub.body.components.length, 2);
    }
  } finally {
    await t.close();
  }
});

Deno.test("ML-DSA signs a SHA-512 digest in its pre-hash variant; options keys lack are refused", async () => {
  const t = await makeTestApp();
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    const key = await t.call(admin, "POST", "/api/v1/keys", { name: "d", algorithm: "ML-DSA-65" });
    const id = key.body.id;
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-512", new TextEncoder().encode("hashed")),
    );
    const b64 = btoa(String.fromCharCode(...digest));
    const sig = await t.call(admin, "POST", `/api/v1/keys/${id}/sign`, {
      digest: b64,
      prehash: "SHA-512",
    });
    assert.equal(sig.status, 200);
    const ok = await t.call(admin, "POST", `/api/v1/keys/${id}/verify`, {
      digest: b64,
      prehash: "SHA-512",
      signature: sig.body.signature,
    });
    assert.equal(ok.body.valid, true);
    const pure = await t.call(admin, "POST", `/api/v1/keys/${id}/verify`, {
      message: b64,
      signature: sig.body.signature,
    });
    assert.equal(pure.body.valid, false, "HashML-DSA and ML-DSA signatures differ");
    const noPrehash = await t.call(admin, "POST", `/api/v1/keys/${id}/sign`, { digest: b64 });
    assert.equal(noPrehash.status, 400);
    const ec = await t.call(admin, "POST", "/api/v1/keys", { name: "e", algorithm: "EC-P256" });
    const ctx = await t.call(admin, "POST", `/api/v1/keys/${ec.body.id}/sign`, {
      message: MSG,
      context: CTX,
    });
    assert.equal(ctx.status, 400, "ECDSA takes no context");
    const long = await t.call(admin, "POST", `/api/v1/keys/${id}/sign`, {
      message: MSG,
      context: btoa("x".repeat(256)),
    });
    assert.equal(long.status, 400, "a context longer than 255 bytes");
  } finally {
    await t.close();
  }
});
