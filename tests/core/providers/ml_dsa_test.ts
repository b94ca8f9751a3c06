import assert from "node:assert/strict";
import { ml_dsa44 } from "@noble/post-quantum/ml-dsa.js";
import { decodeSequence, readBitStringBytes } from "../../../src/core/asn1.ts";
import { fromBase64Url, toHex, utf8 } from "../../../src/core/encoding.ts";
import { isHsmError } from "../../../src/domain/errors.ts";
import type { LoadedKey } from "../../../src/core/provider.ts";
import {
  importMlDsaSecretKey,
  loadMlDsaKey,
  mlDsaProvider,
  mlDsaPublicKey,
} from "../../../src/core/providers/ml_dsa.ts";

const SIZES = [
  { alg: "ML-DSA-44", arc: "11", pk: 1312, sig: 2420 },
  { alg: "ML-DSA-65", arc: "12", pk: 1952, sig: 3309 },
  { alg: "ML-DSA-87", arc: "13", pk: 2592, sig: 4627 },
] as const;

const MESSAGE = utf8("attack at dawn");

function need<T>(value: T | undefined, what: string): T {
  assert.ok(value !== undefined, `${what} missing`);
  return value;
}

function ops(key: LoadedKey) {
  return {
    sign: need(key.sign, "sign").bind(key),
    verify: need(key.verify, "verify").bind(key),
    publicKey: need(key.publicKey, "publicKey").bind(key),
  };
}

async function freshKey(alg: (typeof SIZES)[number]["alg"]): Promise<LoadedKey> {
  return await mlDsaProvider.load(alg, await mlDsaProvider.generate(alg));
}

function flip(data: Uint8Array, index: number): Uint8Array {
  const out = data.slice();
  out[index] = (out[index] as number) ^ 0x01;
  return out;
}

for (const { alg, arc, pk, sig } of SIZES) {
  Deno.test(`${alg} signs with a key loaded from a 32-byte seed and verifies`, async () => {
    const material = await mlDsaProvider.generate(alg);
    assert.equal(material.length, 32);
    const key = await mlDsaProvider.load(alg, material);
    assert.ok(material.every((b) => b === 0), "load wipes its material");
    const k = ops(key);
    const signature = await k.sign(MESSAGE);
    assert.equal(signature.length, sig);
    assert.equal(await k.verify(MESSAGE, signature), true);
    assert.equal(await k.verify(utf8("attack at dusk"), signature), false);
    key.dispose();
  });

  Deno.test(`${alg} publishes SPKI with OID 2.16.840.1.101.3.4.3.${arc} and an AKP JWK`, async () => {
    const { spki, jwk } = ops(await freshKey(alg)).publicKey();
    const parts = need(decodeSequence(spki), "SPKI");
    assert.equal(
      toHex(need(parts[0], "AlgorithmIdentifier").contents),
      `06096086480165030403${arc}`,
    );
    const raw = need(readBitStringBytes(parts[1]), "BIT STRING");
    assert.equal(raw.length, pk);
    assert.deepEqual(jwk, { kty: "AKP", alg, pub: jwk.pub });
    assert.equal(toHex(need(fromBase64Url(String(jwk.pub)), "pub")), toHex(raw));
  });
}

Deno.test("signing is hedged: two signatures of one message differ and both verify", async () => {
  const k = ops(await freshKey("ML-DSA-44"));
  const a = await k.sign(MESSAGE);
  const b = await k.sign(MESSAGE);
  assert.notEqual(toHex(a), toHex(b));
  assert.equal(await k.verify(MESSAGE, a), true);
  assert.equal(await k.verify(MESSAGE, b), true);
});

Deno.test("an all-zero rnd source gives the deterministic signature every time", async () => {
  const seed = new Uint8Array(32).fill(1);
  const opts = { random: (buf: Uint8Array) => buf.fill(0) };
  const a = await ops(loadMlDsaKey("ML-DSA-44", seed.slice(), opts)).sign(MESSAGE);
  const b = await ops(loadMlDsaKey("ML-DSA-44", seed.slice(), opts)).sign(MESSAGE);
  assert.equal(toHex(a), toHex(b));
});

Deno.test("verify returns false, never throws, for malformed signatures", async () => {
  const k = ops(await freshKey("ML-DSA-65"));
  const good = await k.sign(MESSAGE);
  const bad = [
    new Uint8Array(0),
    good.subarray(0, good.length - 1),
    new Uint8Array([...good, 0]),
    new Uint8Array(good.length).fill(0xff),
    flip(good, 0),
    flip(good, 2000),
    flip(good, good.length - 1),
  ];
  for (const signature of bad) assert.equal(await k.verify(MESSAGE, signature), false);
});

Deno.test("a verifier built from public bytes accepts exactly the key's signatures", async () => {
  const k = ops(await freshKey("ML-DSA-87"));
  const signature = await k.sign(MESSAGE);
  const pub = need(fromBase64Url(String(k.publicKey().jwk.pub)), "pub");
  const verifier = mlDsaPublicKey("ML-DSA-87", pub);
  assert.equal(verifier.sign, undefined);
  const v = need(verifier.verify, "verify").bind(verifier);
  assert.equal(await v(MESSAGE, signature), true);
  assert.equal(await v(MESSAGE, flip(signature, 100)), false);
  const otherContext = mlDsaPublicKey("ML-DSA-87", pub, { context: utf8("ctx") });
  assert.equal(
    await need(otherContext.verify, "verify").call(otherContext, MESSAGE, signature),
    false,
  );
});

Deno.test("public keys of the wrong length and contexts over 255 bytes are invalid requests", () => {
  for (const length of [0, 1951, 1953]) {
    assert.throws(
      () => mlDsaPublicKey("ML-DSA-65", new Uint8Array(length)),
      (err: unknown) => isHsmError(err, "invalid_request"),
    );
  }
  assert.throws(
    () => mlDsaPublicKey("ML-DSA-65", new Uint8Array(1952), { context: new Uint8Array(256) }),
    (err: unknown) => isHsmError(err, "invalid_request"),
  );
  assert.ok(mlDsaPublicKey("ML-DSA-65", new Uint8Array(1952), { context: new Uint8Array(255) }));
});

Deno.test("digests are refused: ML-DSA signs whole messages", async () => {
  const k = ops(await freshKey("ML-DSA-44"));
  const signature = await k.sign(MESSAGE);
  await assert.rejects(
    k.sign(new Uint8Array(32), { prehashed: true }),
    (err: unknown) => isHsmError(err, "invalid_request"),
  );
  await assert.rejects(
    k.verify(MESSAGE, signature, { prehashed: true }),
    (err: unknown) => isHsmError(err, "invalid_request"),
  );
});

Deno.test("material of the wrong length is unreadable sealed material and is still wiped", async () => {
  for (const length of [0, 31, 33, 64]) {
    const material = new Uint8Array(length).fill(3);
    await assert.rejects(
      mlDsaProvider.load("ML-DSA-65", material),
      (err: unknown) =>
        isHsmError(err, "integrity_error") && err.message === "Sealed key material is unreadable",
    );
    assert.ok(material.every((b) => b === 0));
  }
});

Deno.test("expanded secret keys with out-of-range coefficients are refused", () => {
  assert.throws(
    () => importMlDsaSecretKey("ML-DSA-44", new Uint8Array(2559)),
    (err: unknown) => isHsmError(err, "invalid_request"),
  );
  assert.throws(
    () => importMlDsaSecretKey("ML-DSA-44", new Uint8Array(2560).fill(0xff)),
    (err: unknown) => isHsmError(err, "invalid_request"),
  );
});

Deno.test("an expanded secret key whose tr does not hash its public key is refused", async () => {
  const sk = ml_dsa44.keygen(new Uint8Array(32).fill(5)).secretKey;
  const k = ops(importMlDsaSecretKey("ML-DSA-44", sk));
  assert.equal(await k.verify(MESSAGE, await k.sign(MESSAGE)), true);
  assert.throws(
    () => importMlDsaSecretKey("ML-DSA-44", flip(sk, 70)),
    (err: unknown) => isHsmError(err, "invalid_request"),
  );
});

Deno.test("a disposed key refuses to sign", async () => {
  const key = await freshKey("ML-DSA-44");
  const k = ops(key);
  key.dispose();
  key.dispose();
  assert.throws(() => k.sign(MESSAGE), TypeError);
});

Deno.test("algorithms of other families are programmer errors", async () => {
  await assert.rejects(mlDsaProvider.generate("ML-KEM-768"), RangeError);
  await assert.rejects(mlDsaProvider.load("EC-P256", new Uint8Array(32)), RangeError);
});
