/**
 * The post-quantum sign options across providers: `context` only for ML-DSA, SLH-DSA and
 * composite keys, `prehash` only for ML-DSA; every other signing algorithm refuses both
 * (HsmError invalid_request) on sign and on verify. And `raw` public keys for ML-KEM and
 * ML-DSA.
 */

import assert from "node:assert/strict";
import type { Algorithm } from "../../../src/domain/algorithms.ts";
import { fromBase64Url, toHex, utf8 } from "../../../src/core/encoding.ts";
import { isHsmError } from "../../../src/domain/errors.ts";
import type { SignOptions } from "../../../src/core/provider.ts";
import { providerFor } from "../../../src/core/providers/index.ts";
import { expectMethods } from "./_methods.ts";

const MESSAGE = utf8("release the funds");
const isInvalidRequest = (e: unknown) => isHsmError(e, "invalid_request");

async function signingKey(alg: Algorithm) {
  const provider = providerFor(alg);
  return expectMethods(await provider.load(alg, await provider.generate(alg)), "sign", "verify");
}

const EXTENSIONS: [string, SignOptions][] = [
  ["a context", { context: utf8("ctx") }],
  ["an empty context", { context: new Uint8Array(0) }],
  ["prehash SHA-512", { prehash: "SHA-512" }],
];

for (const alg of ["EC-P256", "EC-P384", "RSA-2048", "Ed25519"] as const) {
  Deno.test(`${alg} refuses the post-quantum sign options on sign and verify`, async () => {
    const key = await signingKey(alg);
    const signature = await key.sign(MESSAGE);
    assert.equal(await key.verify(MESSAGE, signature), true);
    for (const [what, options] of EXTENSIONS) {
      await assert.rejects(key.sign(MESSAGE, options), isInvalidRequest, `sign with ${what}`);
      await assert.rejects(
        key.verify(MESSAGE, signature, options),
        isInvalidRequest,
        `verify with ${what}`,
      );
    }
  });
}

for (const alg of ["ML-DSA-44", "ML-DSA-65", "ML-DSA-87"] as const) {
  Deno.test(`${alg} binds signatures to the call's context (≤ 255 bytes)`, async () => {
    const key = await signingKey(alg);
    const context = new Uint8Array(255).fill(0x42);
    const signature = await key.sign(MESSAGE, { context });
    assert.equal(await key.verify(MESSAGE, signature, { context }), true);
    assert.equal(await key.verify(MESSAGE, signature), false);
    assert.equal(await key.verify(MESSAGE, signature, { context: context.subarray(1) }), false);
    const plain = await key.sign(MESSAGE);
    assert.equal(await key.verify(MESSAGE, plain, { context: new Uint8Array(0) }), true);
    assert.equal(await key.verify(MESSAGE, plain, { context }), false);
    await assert.rejects(key.sign(MESSAGE, { context: new Uint8Array(256) }), isInvalidRequest);
    await assert.rejects(
      key.verify(MESSAGE, signature, { context: new Uint8Array(256) }),
      isInvalidRequest,
    );
  });
}

Deno.test("ML-KEM and ML-DSA public keys are also published raw", async () => {
  for (
    const alg of ["ML-KEM-512", "ML-KEM-768", "ML-KEM-1024", "ML-DSA-44", "ML-DSA-87"] as const
  ) {
    const provider = providerFor(alg);
    const key = expectMethods(
      await provider.load(alg, await provider.generate(alg)),
      "publicKey",
    );
    const { raw, jwk } = key.publicKey();
    assert.ok(raw !== undefined && raw.length > 0, alg);
    assert.equal(toHex(raw), toHex(fromBase64Url(String(jwk.pub)) ?? new Uint8Array()), alg);
  }
});
