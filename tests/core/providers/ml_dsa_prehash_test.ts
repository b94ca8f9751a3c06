/**
 * HashML-DSA (FIPS 204 §5.4, Algorithm 4) with SHA-512 through `prehash: "SHA-512"`. The
 * provider builds M′ = 1‖|ctx|‖ctx‖OID(SHA-512)‖SHA-512(M) itself and runs the internal
 * signing function; `@noble/post-quantum`'s own HashML-DSA signer (`ml_dsa*.prehash`), a
 * separate code path, is the independent check in both directions.
 */

import assert from "node:assert/strict";
import { sha512 } from "@noble/hashes/sha2.js";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { utf8 } from "../../../src/core/encoding.ts";
import { isHsmError } from "../../../src/domain/errors.ts";
import { mlDsaProvider } from "../../../src/core/providers/ml_dsa.ts";
import { expectMethods } from "./_methods.ts";

const NOBLE = { "ML-DSA-44": ml_dsa44, "ML-DSA-65": ml_dsa65, "ML-DSA-87": ml_dsa87 } as const;
const MESSAGE = utf8("a large document, hashed once");
const CONTEXT = utf8("ctx");
const isInvalidRequest = (e: unknown) => isHsmError(e, "invalid_request");

for (const alg of ["ML-DSA-44", "ML-DSA-65", "ML-DSA-87"] as const) {
  Deno.test(`${alg} HashML-DSA signatures verify with noble's HashML-DSA and back`, async () => {
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const { secretKey, publicKey } = NOBLE[alg].keygen(seed.slice());
    const key = expectMethods(await mlDsaProvider.load(alg, seed), "sign", "verify");
    const hashed = NOBLE[alg].prehash(sha512);
    const options = { prehash: "SHA-512" as const, context: CONTEXT };
    const ours = await key.sign(MESSAGE, options);
    assert.equal(hashed.verify(ours, MESSAGE, publicKey, { context: CONTEXT }), true);
    assert.equal(
      NOBLE[alg].verify(ours, MESSAGE, publicKey, { context: CONTEXT }),
      false,
      "not pure",
    );
    const theirs = hashed.sign(MESSAGE, secretKey, { context: CONTEXT });
    assert.equal(await key.verify(MESSAGE, theirs, options), true);
    assert.equal(await key.verify(MESSAGE, theirs, { context: CONTEXT }), false, "pure refuses it");
    assert.equal(await key.verify(MESSAGE, theirs, { prehash: "SHA-512" }), false, "other context");
    // The same signature through the caller's own 64-byte SHA-512 digest.
    const digestOptions = { ...options, prehashed: true };
    assert.equal(await key.verify(sha512(MESSAGE), theirs, digestOptions), true);
    assert.equal(
      hashed.verify(await key.sign(sha512(MESSAGE), digestOptions), MESSAGE, publicKey, {
        context: CONTEXT,
      }),
      true,
    );
  });
}

Deno.test("HashML-DSA refuses other hashes, short digests and digests without prehash", async () => {
  const key = expectMethods(
    await mlDsaProvider.load("ML-DSA-65", await mlDsaProvider.generate("ML-DSA-65")),
    "sign",
    "verify",
  );
  const signature = await key.sign(MESSAGE, { prehash: "SHA-512" });
  const bad = [
    { prehash: "SHA-256" as unknown as "SHA-512" },
    { prehash: "SHA-512" as const, prehashed: true },
    { prehashed: true },
  ];
  for (const options of bad) {
    await assert.rejects(key.sign(new Uint8Array(32), options), isInvalidRequest);
    await assert.rejects(key.verify(new Uint8Array(32), signature, options), isInvalidRequest);
  }
});
