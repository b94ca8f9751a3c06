import assert from "node:assert/strict";
import { decodeSequence, readBitStringBytes } from "../../../src/core/asn1.ts";
import { fromBase64Url, toHex, utf8 } from "../../../src/core/encoding.ts";
import { isHsmError } from "../../../src/domain/errors.ts";
import {
  loadSlhDsaKey,
  slhDsaProvider,
  slhDsaPublicKey,
} from "../../../src/core/providers/slh_dsa.ts";
import { expectMethods, expectNoMethods } from "./_methods.ts";

// Signing takes 0.5 s (128f) to 3 s (256s): each parameter set signs once or twice here.
const SETS = [
  { alg: "SLH-DSA-SHA2-128s", arc: "14", seed: 48, pk: 32, sig: 7856 },
  { alg: "SLH-DSA-SHAKE-128f", arc: "1b", seed: 48, pk: 32, sig: 17088 },
  { alg: "SLH-DSA-SHA2-256s", arc: "18", seed: 96, pk: 64, sig: 29792 },
] as const;

const MESSAGE = utf8("attack at dawn");
const CONTEXT = utf8("ferrohsm test context");
const isInvalidRequest = (e: unknown) => isHsmError(e, "invalid_request");

function flip(data: Uint8Array, index: number): Uint8Array {
  const out = data.slice();
  out[index] = (out[index] as number) ^ 0x01;
  return out;
}

for (const { alg, arc, seed, pk, sig } of SETS) {
  Deno.test(`${alg} signs with a context and only that context and message verify`, async () => {
    const material = await slhDsaProvider.generate(alg);
    assert.equal(material.length, seed);
    const key = expectMethods(await slhDsaProvider.load(alg, material), "sign", "verify");
    assert.ok(material.every((b) => b === 0), "load wipes its material");
    expectNoMethods(key, "encapsulate", "decapsulate", "encrypt", "mac");
    const signature = await key.sign(MESSAGE, { context: CONTEXT });
    assert.equal(signature.length, sig);
    assert.equal(await key.verify(MESSAGE, signature, { context: CONTEXT }), true);
    assert.equal(await key.verify(MESSAGE, signature), false, "empty context");
    assert.equal(await key.verify(MESSAGE, signature, { context: utf8("other") }), false);
    assert.equal(await key.verify(utf8("attack at dusk"), signature, { context: CONTEXT }), false);
    for (
      const bad of [
        flip(signature, 0),
        flip(signature, sig >> 1),
        flip(signature, sig - 1),
        signature.subarray(1),
        new Uint8Array([...signature, 0]),
        new Uint8Array(0),
      ]
    ) {
      assert.equal(await key.verify(MESSAGE, bad, { context: CONTEXT }), false);
    }
    key.dispose();
  });

  Deno.test(`${alg} publishes SPKI with OID 2.16.840.1.101.3.4.3.${parseInt(arc, 16)}, AKP and raw`, async () => {
    const material = new Uint8Array(seed).fill(9);
    const key = expectMethods(await slhDsaProvider.load(alg, material), "publicKey");
    const { spki, jwk, raw } = key.publicKey();
    assert.equal(raw?.length, pk);
    const parts = decodeSequence(spki);
    assert.equal(toHex(parts?.[0]?.contents ?? new Uint8Array()), `06096086480165030403${arc}`);
    assert.equal(
      toHex(readBitStringBytes(parts?.[1]) ?? new Uint8Array()),
      toHex(raw ?? new Uint8Array()),
    );
    assert.deepEqual(jwk, { kty: "AKP", alg, pub: jwk.pub });
    assert.equal(
      toHex(fromBase64Url(String(jwk.pub)) ?? new Uint8Array()),
      toHex(raw ?? new Uint8Array()),
    );
    assert.equal(
      toHex(raw?.subarray(0, pk / 2) ?? new Uint8Array()),
      "09".repeat(pk / 2),
      "PK.seed",
    );
  });

  Deno.test(`${alg} material of the wrong length is unreadable and still wiped`, async () => {
    for (const length of [0, seed - 1, seed + 1, 64]) {
      if (length === seed) continue;
      const material = new Uint8Array(length).fill(3);
      await assert.rejects(
        slhDsaProvider.load(alg, material),
        (e: unknown) => isHsmError(e, "integrity_error"),
      );
      assert.ok(material.every((b) => b === 0));
    }
  });
}

Deno.test("SLH-DSA refuses prehash, digests and contexts over 255 bytes", async () => {
  const key = expectMethods(
    loadSlhDsaKey("SLH-DSA-SHAKE-128f", new Uint8Array(48).fill(1)),
    "sign",
    "verify",
  );
  const signature = new Uint8Array(17088);
  for (
    const options of [
      { prehash: "SHA-512" as const },
      { prehashed: true },
      { context: new Uint8Array(256) },
    ]
  ) {
    await assert.rejects(key.sign(MESSAGE, options), isInvalidRequest);
    await assert.rejects(key.verify(MESSAGE, signature, options), isInvalidRequest);
  }
});

Deno.test("deterministic SLH-DSA repeats its signature; hedged signing does not", async () => {
  const seed = new Uint8Array(48).fill(5);
  const det = expectMethods(
    loadSlhDsaKey("SLH-DSA-SHAKE-128f", seed.slice(), { deterministic: true }),
    "sign",
  );
  assert.equal(toHex(await det.sign(MESSAGE)), toHex(await det.sign(MESSAGE)));
  const fixed = expectMethods(
    loadSlhDsaKey("SLH-DSA-SHAKE-128f", seed.slice(), { random: (b) => b.fill(0xaa) }),
    "sign",
  );
  const hedged = expectMethods(loadSlhDsaKey("SLH-DSA-SHAKE-128f", seed.slice()), "sign");
  assert.notEqual(toHex(await hedged.sign(MESSAGE)), toHex(await fixed.sign(MESSAGE)));
});

Deno.test("a verifier built from the raw public key accepts exactly the key's signatures", async () => {
  const key = expectMethods(
    loadSlhDsaKey("SLH-DSA-SHAKE-128f", new Uint8Array(48).fill(2)),
    "sign",
    "publicKey",
  );
  const signature = await key.sign(MESSAGE);
  const verifier = expectMethods(
    slhDsaPublicKey("SLH-DSA-SHAKE-128f", key.publicKey().raw ?? new Uint8Array()),
    "verify",
    "publicKey",
  );
  expectNoMethods(verifier, "sign");
  assert.equal(await verifier.verify(MESSAGE, signature), true);
  assert.equal(await verifier.verify(MESSAGE, flip(signature, 100)), false);
  for (const length of [0, 31, 33, 64]) {
    assert.throws(
      () => slhDsaPublicKey("SLH-DSA-SHAKE-128f", new Uint8Array(length)),
      isInvalidRequest,
    );
  }
});

Deno.test("a disposed SLH-DSA key refuses to sign and verify", async () => {
  const key = expectMethods(
    loadSlhDsaKey("SLH-DSA-SHAKE-128f", new Uint8Array(48)),
    "sign",
    "verify",
    "publicKey",
  );
  key.dispose();
  key.dispose();
  await assert.rejects(key.sign(MESSAGE), TypeError);
  await assert.rejects(key.verify(MESSAGE, new Uint8Array(17088)), TypeError);
  assert.throws(() => key.publicKey(), TypeError);
});

Deno.test("the SLH-DSA provider offloads signing and verification; other families are programmer errors", async () => {
  for (const { alg } of SETS) {
    assert.deepEqual(slhDsaProvider.offload?.(alg)?.methods, ["sign", "verify"]);
  }
  await assert.rejects(slhDsaProvider.generate("ML-DSA-65"), RangeError);
  await assert.rejects(slhDsaProvider.load("EC-P256", new Uint8Array(48)), RangeError);
});
