import assert from "node:assert/strict";
import { decodeSequence, DER_TAG, readBitStringBytes } from "../../../src/core/asn1.ts";
import { fromBase64Url, toHex } from "../../../src/core/encoding.ts";
import { isHsmError } from "../../../src/domain/errors.ts";
import type { LoadedKey } from "../../../src/core/provider.ts";
import {
  importMlKemDecapsulationKey,
  mlKemProvider,
  mlKemPublicKey,
} from "../../../src/core/providers/ml_kem.ts";

const SIZES = [
  { alg: "ML-KEM-512", arc: 1, ek: 800, ct: 768 },
  { alg: "ML-KEM-768", arc: 2, ek: 1184, ct: 1088 },
  { alg: "ML-KEM-1024", arc: 3, ek: 1568, ct: 1568 },
] as const;

function need<T>(value: T | undefined, what: string): T {
  assert.ok(value !== undefined, `${what} missing`);
  return value;
}

function ops(key: LoadedKey) {
  return {
    encapsulate: need(key.encapsulate, "encapsulate").bind(key),
    decapsulate: need(key.decapsulate, "decapsulate").bind(key),
    publicKey: need(key.publicKey, "publicKey").bind(key),
  };
}

for (const { alg, arc, ek, ct } of SIZES) {
  Deno.test(`${alg} keys generated from a 64-byte seed encapsulate and decapsulate`, async () => {
    const material = await mlKemProvider.generate(alg);
    assert.equal(material.length, 64);
    const key = await mlKemProvider.load(alg, material);
    assert.ok(material.every((b) => b === 0), "load wipes its material");
    const k = ops(key);
    const { ciphertext, sharedSecret } = await k.encapsulate();
    assert.equal(ciphertext.length, ct);
    assert.equal(sharedSecret.length, 32);
    assert.equal(toHex(await k.decapsulate(ciphertext)), toHex(sharedSecret));
    key.dispose();
  });

  Deno.test(`${alg} publishes SPKI with OID 2.16.840.1.101.3.4.4.${arc} and an AKP JWK`, async () => {
    const key = await mlKemProvider.load(alg, await mlKemProvider.generate(alg));
    const { spki, jwk } = ops(key).publicKey();
    const parts = need(decodeSequence(spki), "SPKI");
    assert.equal(parts.length, 2);
    assert.equal(parts[0]?.tag, DER_TAG.sequence);
    // AlgorithmIdentifier: the OID alone, no parameters.
    assert.equal(
      toHex(need(parts[0], "AlgorithmIdentifier").contents),
      `06096086480165030404${"0" + arc}`,
    );
    const raw = need(readBitStringBytes(parts[1]), "BIT STRING");
    assert.equal(raw.length, ek);
    assert.deepEqual(Object.keys(jwk).sort(), ["alg", "kty", "pub"]);
    assert.equal(jwk.kty, "AKP");
    assert.equal(jwk.alg, alg);
    assert.equal(toHex(need(fromBase64Url(String(jwk.pub)), "pub")), toHex(raw));
    key.dispose();
  });
}

Deno.test("material of the wrong length is unreadable sealed material and is still wiped", async () => {
  for (const length of [0, 32, 63, 65, 96]) {
    const material = new Uint8Array(length).fill(9);
    await assert.rejects(
      mlKemProvider.load("ML-KEM-768", material),
      (err: unknown) =>
        isHsmError(err, "integrity_error") && err.message === "Sealed key material is unreadable",
    );
    assert.ok(material.every((b) => b === 0));
  }
});

Deno.test("decapsulating a ciphertext of the wrong length is an invalid request", async () => {
  const key = ops(
    await mlKemProvider.load("ML-KEM-768", await mlKemProvider.generate("ML-KEM-768")),
  );
  for (const length of [0, 1087, 1089, 768]) {
    await assert.rejects(
      key.decapsulate(new Uint8Array(length)),
      (err: unknown) => isHsmError(err, "invalid_request"),
    );
  }
});

Deno.test("a tampered ciphertext decapsulates to an unrelated secret (implicit rejection)", async () => {
  const key = ops(
    await mlKemProvider.load("ML-KEM-512", await mlKemProvider.generate("ML-KEM-512")),
  );
  const { ciphertext, sharedSecret } = await key.encapsulate();
  ciphertext[10] = (ciphertext[10] as number) ^ 0x40;
  const other = await key.decapsulate(ciphertext);
  assert.equal(other.length, 32);
  assert.notEqual(toHex(other), toHex(sharedSecret));
});

Deno.test("a disposed key refuses to decapsulate", async () => {
  const key = await mlKemProvider.load("ML-KEM-768", await mlKemProvider.generate("ML-KEM-768"));
  const { ciphertext } = await ops(key).encapsulate();
  key.dispose();
  key.dispose();
  assert.throws(() => ops(key).decapsulate(ciphertext), TypeError);
});

Deno.test("an encapsulation key built from public bytes interoperates with the private key", async () => {
  const key = ops(
    await mlKemProvider.load("ML-KEM-1024", await mlKemProvider.generate("ML-KEM-1024")),
  );
  const pub = need(fromBase64Url(String(key.publicKey().jwk.pub)), "pub");
  const encapsulator = mlKemPublicKey("ML-KEM-1024", pub);
  assert.equal(encapsulator.decapsulate, undefined);
  assert.equal(
    toHex(need(encapsulator.publicKey, "publicKey").call(encapsulator).spki),
    toHex(key.publicKey().spki),
  );
  const { ciphertext, sharedSecret } = await need(encapsulator.encapsulate, "encapsulate").call(
    encapsulator,
  );
  assert.equal(toHex(await key.decapsulate(ciphertext)), toHex(sharedSecret));
});

Deno.test("encapsulation keys of the wrong length or not reduced mod q are refused", () => {
  assert.throws(
    () => mlKemPublicKey("ML-KEM-768", new Uint8Array(1183)),
    (err: unknown) => isHsmError(err, "invalid_request"),
  );
  const unreduced = new Uint8Array(1184);
  unreduced[0] = 0xff; // first coefficient 0xfff = 4095 ≥ q = 3329
  unreduced[1] = 0x0f;
  assert.throws(
    () => mlKemPublicKey("ML-KEM-768", unreduced),
    (err: unknown) => isHsmError(err, "invalid_request"),
  );
  assert.ok(mlKemPublicKey("ML-KEM-768", new Uint8Array(1184)));
});

Deno.test("expanded decapsulation keys failing the FIPS 203 hash check are refused", () => {
  assert.throws(
    () => importMlKemDecapsulationKey("ML-KEM-768", new Uint8Array(2400)),
    (err: unknown) => isHsmError(err, "invalid_request"),
  );
  assert.throws(
    () => importMlKemDecapsulationKey("ML-KEM-768", new Uint8Array(2399)),
    (err: unknown) => isHsmError(err, "invalid_request"),
  );
});

Deno.test("algorithms of other families are programmer errors", async () => {
  await assert.rejects(mlKemProvider.generate("ML-DSA-65"), RangeError);
  await assert.rejects(mlKemProvider.load("AES-256-GCM", new Uint8Array(64)), RangeError);
});
