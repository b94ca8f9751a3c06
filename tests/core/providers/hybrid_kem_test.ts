import assert from "node:assert/strict";
import { p256 } from "@noble/curves/nist.js";
import { decodeSequence, readBitStringBytes } from "../../../src/core/asn1.ts";
import { fromBase64Url, toHex } from "../../../src/core/encoding.ts";
import { isHsmError } from "../../../src/domain/errors.ts";
import {
  hybridKemProvider,
  hybridKemPublicKey,
  loadHybridKemKey,
} from "../../../src/core/providers/hybrid_kem.ts";
import { expectMethods, expectNoMethods, type KeyWith } from "./_methods.ts";

const SIZES = [
  {
    alg: "ML-KEM-768-X25519",
    oid: "060b2b0601040183e62d81c87a",
    pq: 1184,
    trad: 32,
    ct: 1120,
    tradAlg: "X25519",
    tradOid: "06032b656e",
  },
  {
    alg: "ML-KEM-768-P256",
    oid: "06146982fe8897f1fa9bfa95a58bf3d5a8e6f982a525",
    pq: 1184,
    trad: 65,
    ct: 1153,
    tradAlg: "EC-P256",
    tradOid: "06072a8648ce3d020106082a8648ce3d030107",
  },
  {
    alg: "ML-KEM-1024-P384",
    oid: "06146982d18cf59de3f29ab3a1b5828cb7bf99cf846d",
    pq: 1568,
    trad: 97,
    ct: 1665,
    tradAlg: "EC-P384",
    tradOid: "06072a8648ce3d020106052b81040022",
  },
] as const;

type KemKey = KeyWith<"encapsulate" | "decapsulate" | "publicKey">;

async function freshKey(alg: (typeof SIZES)[number]["alg"]): Promise<KemKey> {
  const key = await hybridKemProvider.load(alg, await hybridKemProvider.generate(alg));
  return expectMethods(key, "encapsulate", "decapsulate", "publicKey");
}

function flip(data: Uint8Array, index: number): Uint8Array {
  const out = data.slice();
  out[index] = (out[index] as number) ^ 0x01;
  return out;
}

const isInvalidRequest = (e: unknown) => isHsmError(e, "invalid_request");

for (const { alg, oid, pq, trad, ct, tradAlg, tradOid } of SIZES) {
  Deno.test(`${alg} keys loaded from a 32-byte seed encapsulate and decapsulate`, async () => {
    const material = await hybridKemProvider.generate(alg);
    assert.equal(material.length, 32);
    const loaded = await hybridKemProvider.load(alg, material);
    assert.ok(material.every((b) => b === 0), "load wipes its material");
    const key = expectMethods(loaded, "encapsulate", "decapsulate", "publicKey");
    expectNoMethods(key, "sign", "verify", "encrypt", "decrypt", "mac", "macVerify");
    const { ciphertext, sharedSecret } = await key.encapsulate();
    assert.equal(ciphertext.length, ct);
    assert.equal(sharedSecret.length, 32);
    assert.equal(toHex(await key.decapsulate(ciphertext)), toHex(sharedSecret));
    const again = await key.encapsulate();
    assert.notEqual(toHex(again.sharedSecret), toHex(sharedSecret), "encapsulation is randomized");
    key.dispose();
  });

  Deno.test(`${alg} publishes raw, SPKI, an AKP JWK and both components`, async () => {
    const exported = (await freshKey(alg)).publicKey();
    const raw = exported.raw;
    assert.ok(raw !== undefined);
    assert.equal(raw.length, pq + trad);
    const parts = decodeSequence(exported.spki);
    assert.equal(parts?.length, 2);
    assert.equal(toHex(parts?.[0]?.contents ?? new Uint8Array()), oid, "no parameters");
    assert.equal(toHex(readBitStringBytes(parts?.[1]) ?? new Uint8Array()), toHex(raw));
    assert.deepEqual(exported.jwk, { kty: "AKP", alg, pub: exported.jwk.pub });
    assert.equal(toHex(fromBase64Url(String(exported.jwk.pub)) ?? new Uint8Array()), toHex(raw));
    const [pqPart, tradPart] = exported.components ?? [];
    assert.equal(exported.components?.length, 2);
    assert.equal(pqPart?.algorithm, pq === 1184 ? "ML-KEM-768" : "ML-KEM-1024");
    assert.equal(toHex(pqPart?.raw ?? new Uint8Array()), toHex(raw.subarray(0, pq)));
    assert.equal(tradPart?.algorithm, tradAlg);
    assert.equal(toHex(tradPart?.raw ?? new Uint8Array()), toHex(raw.subarray(pq)));
    const tradSpki = decodeSequence(tradPart?.spki ?? new Uint8Array());
    assert.equal(toHex(tradSpki?.[0]?.contents ?? new Uint8Array()), tradOid);
    assert.equal(tradPart?.jwk.kty, tradAlg === "X25519" ? "OKP" : "EC");
  });

  Deno.test(`${alg} refuses ciphertexts of the wrong length and rejects flipped ones`, async () => {
    const key = await freshKey(alg);
    const { ciphertext, sharedSecret } = await key.encapsulate();
    for (
      const bad of [new Uint8Array(0), ciphertext.subarray(1), new Uint8Array([...ciphertext, 0])]
    ) {
      await assert.rejects(key.decapsulate(bad), isInvalidRequest);
    }
    // A flipped ML-KEM byte is rejected implicitly (a different, pseudo-random secret).
    assert.notEqual(toHex(await key.decapsulate(flip(ciphertext, 10))), toHex(sharedSecret));
    // A flipped traditional byte is either an invalid point (refused) or another secret.
    const lastFlipped = await key.decapsulate(flip(ciphertext, ct - 1)).then(toHex, (e) => {
      assert.ok(isInvalidRequest(e));
      return "refused";
    });
    assert.notEqual(lastFlipped, toHex(sharedSecret));
  });

  Deno.test(`${alg} material of the wrong length is unreadable and still wiped`, async () => {
    for (const length of [0, 31, 33, 64]) {
      const material = new Uint8Array(length).fill(7);
      await assert.rejects(
        hybridKemProvider.load(alg, material),
        (e: unknown) => isHsmError(e, "integrity_error"),
      );
      assert.ok(material.every((b) => b === 0));
    }
  });

  Deno.test(`${alg} encapsulate-only keys built from the raw public key agree`, async () => {
    const key = await freshKey(alg);
    const raw = key.publicKey().raw ?? new Uint8Array();
    const pub = expectMethods(hybridKemPublicKey(alg, raw), "encapsulate", "publicKey");
    expectNoMethods(pub, "decapsulate");
    const { ciphertext, sharedSecret } = await pub.encapsulate();
    assert.equal(toHex(await key.decapsulate(ciphertext)), toHex(sharedSecret));
    assert.equal(toHex(pub.publicKey().spki), toHex(key.publicKey().spki));
    for (const bad of [raw.subarray(1), new Uint8Array([...raw, 0]), new Uint8Array(0)]) {
      assert.throws(() => hybridKemPublicKey(alg, bad), isInvalidRequest);
    }
    // First ML-KEM coefficient set to 0xfff (≥ q): FIPS 203 §7.2 modulus check.
    const unreduced = raw.slice();
    unreduced[0] = 0xff;
    unreduced[1] = (unreduced[1] as number) | 0x0f;
    assert.throws(() => hybridKemPublicKey(alg, unreduced), isInvalidRequest);
  });

  Deno.test(`${alg} keys refuse to work after dispose`, async () => {
    const key = await freshKey(alg);
    const { ciphertext } = await key.encapsulate();
    key.dispose();
    key.dispose();
    await assert.rejects(key.decapsulate(ciphertext), TypeError);
    await assert.rejects(key.encapsulate(), TypeError);
    assert.throws(() => key.publicKey(), TypeError);
  });
}

Deno.test("a NIST-curve hybrid public key whose point is not on the curve is refused", async () => {
  const key = await freshKey("ML-KEM-768-P256");
  const raw = (key.publicKey().raw ?? new Uint8Array()).slice();
  raw[raw.length - 1] = (raw[raw.length - 1] as number) ^ 0x01;
  assert.equal(p256.utils.isValidPublicKey(raw.subarray(1184), false), false);
  assert.throws(() => hybridKemPublicKey("ML-KEM-768-P256", raw), isInvalidRequest);
});

Deno.test("the hybrid provider offloads encapsulation and decapsulation", () => {
  for (const { alg } of SIZES) {
    const policy = hybridKemProvider.offload?.(alg);
    assert.deepEqual(policy?.methods, ["encapsulate", "decapsulate"]);
    assert.equal(policy?.when, undefined);
  }
});

Deno.test("algorithms of other families are programmer errors for the hybrid provider", async () => {
  await assert.rejects(hybridKemProvider.generate("ML-KEM-768"), RangeError);
  await assert.rejects(hybridKemProvider.load("EC-P256", new Uint8Array(32)), RangeError);
  assert.throws(() => loadHybridKemKey("ML-DSA-65", new Uint8Array(32)), RangeError);
});
