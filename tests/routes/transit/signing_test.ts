/**
 * `/v1/transit/{sign,verify,hmac}` in process: signatures are FerroHSM's (they verify
 * through `/api/v1` too) under `vault:vN:`, the URL's hash wins, prehashed digests,
 * JWS marshaling, RSA padding choices, old versions verify after rotation, and the
 * options FerroHSM does not offer are 400.
 */

import assert from "node:assert/strict";
import { sha384 } from "@noble/hashes/sha2.js";
import { toBase64 } from "../../../src/core/encoding.ts";
import { makeTestApp } from "../_app.ts";
import { b64, transit } from "./_transit.ts";

const MESSAGE = b64("sign me");

Deno.test("ECDSA signatures verify through Transit and the API, with the URL's hash", async () => {
  const t = await makeTestApp();
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    const v = transit(t, admin);
    const id = (await v("POST", "/keys/ec", { type: "ecdsa-p384" })).body.data.ferrohsm.id;
    const signed = (await v("POST", "/sign/ec/sha2-384", { input: MESSAGE })).body.data;
    assert.equal(signed.key_version, 1);
    const api = await t.call(admin, "POST", `/api/v1/keys/${id}/verify`, {
      message: MESSAGE,
      hash: "SHA-384",
      signature: signed.signature.slice(9),
    });
    assert.equal(api.body.valid, true);
    const ok = await v("POST", "/verify/ec", {
      input: MESSAGE,
      signature: signed.signature,
      hash_algorithm: "sha2-384",
    });
    assert.equal(ok.body.data.valid, true);
    // The body's algorithm is overridden by the URL's (sha2-256 here): no longer valid.
    const other = await v("POST", "/verify/ec/sha2-256", {
      input: MESSAGE,
      signature: signed.signature,
      hash_algorithm: "sha2-384",
    });
    assert.equal(other.body.data.valid, false);

    const digest = toBase64(sha384(new TextEncoder().encode("sign me")));
    const pre = (await v("POST", "/sign/ec", {
      input: digest,
      prehashed: true,
      hash_algorithm: "sha2-384",
    })).body.data.signature;
    const check = { input: MESSAGE, signature: pre, hash_algorithm: "sha2-384" };
    assert.equal((await v("POST", "/verify/ec", check)).body.data.valid, true);
    const short = await v("POST", "/sign/ec", { input: b64("short"), prehashed: true });
    assert.equal(short.status, 400);

    const jws = (await v("POST", "/sign/ec", { input: MESSAGE, marshaling_algorithm: "jws" }))
      .body.data.signature;
    assert.match(jws, /^vault:v1:[A-Za-z0-9_-]{128}$/);
    const jwsOk = await v("POST", "/verify/ec", {
      input: MESSAGE,
      signature: jws,
      marshaling_algorithm: "jws",
    });
    assert.equal(jwsOk.body.data.valid, true);
    for (const alg of ["sha1", "sha2-224", "sha3-256"]) {
      assert.equal((await v("POST", `/sign/ec/${alg}`, { input: MESSAGE })).status, 400, alg);
    }
    assert.equal(
      (await v("POST", "/sign/ec", { input: MESSAGE, marshaling_algorithm: "x" })).status,
      400,
    );
  } finally {
    await t.close();
  }
});

Deno.test("RSA signs with PSS by default or PKCS#1 v1.5, and old versions verify after rotation", async () => {
  const t = await makeTestApp();
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    const v = transit(t, admin);
    const id = (await v("POST", "/keys/rsa", { type: "rsa-2048" })).body.data.ferrohsm.id;
    const pss = (await v("POST", "/sign/rsa", { input: MESSAGE })).body.data.signature;
    const pkcs1 = (await v("POST", "/sign/rsa", {
      input: MESSAGE,
      signature_algorithm: "pkcs1v15",
    })).body.data.signature;
    const api = (padding: string, signature: string) =>
      t.call(admin, "POST", `/api/v1/keys/${id}/verify`, {
        message: MESSAGE,
        padding,
        signature: signature.slice(9),
      });
    assert.equal((await api("pss", pss)).body.valid, true);
    assert.equal((await api("pkcs1", pkcs1)).body.valid, true);
    assert.equal((await api("pkcs1", pss)).body.valid, false);

    await v("POST", "/keys/rsa/rotate");
    const verify = (signature: string, extra = {}) =>
      v("POST", "/verify/rsa", { input: MESSAGE, signature, ...extra });
    assert.equal((await verify(pss)).body.data.valid, true);
    assert.equal((await verify(pkcs1, { signature_algorithm: "pkcs1v15" })).body.data.valid, true);
    // The same signature claimed for version 2 does not verify.
    assert.equal((await verify(pss.replace("vault:v1:", "vault:v2:"))).body.data.valid, false);
    const newer = (await v("POST", "/sign/rsa", { input: MESSAGE })).body.data;
    assert.equal(newer.key_version, 2);
    assert.equal((await v("POST", "/sign/rsa", { input: MESSAGE, key_version: 1 })).status, 400);
    assert.equal((await v("POST", "/sign/rsa", { input: MESSAGE, salt_length: "32" })).status, 400);
  } finally {
    await t.close();
  }
});

Deno.test("Ed25519 signs the input itself and refuses prehashing", async () => {
  const t = await makeTestApp();
  try {
    const v = transit(t, await t.inst.token("alice", ["Administrator"]));
    await v("POST", "/keys/ed", { type: "ed25519" });
    const sig = (await v("POST", "/sign/ed", { input: MESSAGE })).body.data.signature;
    assert.equal(atob(sig.slice(9)).length, 64);
    assert.equal(
      (await v("POST", "/verify/ed", { input: MESSAGE, signature: sig })).body.data.valid,
      true,
    );
    assert.equal(
      (await v("POST", "/verify/ed", { input: b64("x"), signature: sig })).body.data.valid,
      false,
    );
    assert.equal((await v("POST", "/sign/ed", { input: MESSAGE, prehashed: true })).status, 400);
    assert.equal((await v("POST", "/sign/ed", { input: MESSAGE, context: b64("c") })).status, 400);
  } finally {
    await t.close();
  }
});

Deno.test("HMACs come from hmac keys only, with sha2-256, and verify by their version", async () => {
  const t = await makeTestApp();
  try {
    const v = transit(t, await t.inst.token("alice", ["Administrator"]));
    await v("POST", "/keys/mac", { type: "hmac" });
    const mac = (await v("POST", "/hmac/mac", { input: MESSAGE })).body.data;
    assert.equal(mac.key_version, 1);
    assert.equal(atob(mac.hmac.slice(9)).length, 32);
    await v("POST", "/keys/mac/rotate");
    const check = (hmac: string, input = MESSAGE) => v("POST", "/verify/mac", { input, hmac });
    assert.equal((await check(mac.hmac)).body.data.valid, true);
    assert.equal((await check(mac.hmac, b64("x"))).body.data.valid, false);
    const batch = await v("POST", "/hmac/mac/sha2-256", {
      batch_input: [{ input: MESSAGE }, { input: b64("two") }],
    });
    assert.deepEqual(
      batch.body.data.batch_results.map((r: { hmac: string }) => r.hmac.slice(0, 9)),
      [
        "vault:v2:",
        "vault:v2:",
      ],
    );
    assert.equal((await v("POST", "/hmac/mac/sha2-512", { input: MESSAGE })).status, 400);
    await v("POST", "/keys/aes");
    assert.equal((await v("POST", "/hmac/aes", { input: MESSAGE })).status, 400);
    const both = await v("POST", "/verify/mac", { input: MESSAGE, hmac: mac.hmac, signature: "x" });
    assert.equal(both.status, 400);
    assert.equal((await v("POST", "/verify/mac", { input: MESSAGE })).status, 400);
  } finally {
    await t.close();
  }
});
