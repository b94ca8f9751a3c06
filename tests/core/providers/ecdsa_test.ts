import assert from "node:assert/strict";
import { p256, p384 } from "@noble/curves/nist.js";
import type { HashName } from "../../../src/domain/algorithms.ts";
import { derToRaw, rawToDer } from "../../../src/core/ecdsa_signature.ts";
import { fromBase64Url } from "../../../src/core/encoding.ts";
import { isHsmError } from "../../../src/domain/errors.ts";
import { ecdsaProvider, ecdsaVerifierFromSpki } from "../../../src/core/providers/ecdsa.ts";
import { rsaProvider } from "../../../src/core/providers/rsa.ts";
import { expectMethods, expectNoMethods, type KeyWith } from "./_methods.ts";

const text = new TextEncoder();
const CURVES = [
  { algorithm: "EC-P256", namedCurve: "P-256", size: 32, order: p256.Point.CURVE().n },
  { algorithm: "EC-P384", namedCurve: "P-384", size: 48, order: p384.Point.CURVE().n },
] as const;
const HASHES: HashName[] = ["SHA-256", "SHA-384", "SHA-512"];

type SigningKey = KeyWith<"sign" | "verify" | "publicKey">;

async function freshKey(algorithm: "EC-P256" | "EC-P384"): Promise<SigningKey> {
  const key = await ecdsaProvider.load(algorithm, await ecdsaProvider.generate(algorithm));
  return expectMethods(key, "sign", "verify", "publicKey");
}

async function sha(hash: HashName, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(hash, new Uint8Array(data)));
}

function isInvalidRequest(e: unknown): boolean {
  return isHsmError(e, "invalid_request");
}

function isUnreadable(e: unknown): boolean {
  return isHsmError(e, "integrity_error") && e.message === "Sealed key material is unreadable";
}

for (const { algorithm, namedCurve, size, order } of CURVES) {
  Deno.test(`${algorithm} signs and verifies messages with every hash in both encodings`, async () => {
    const key = await freshKey(algorithm);
    const message = text.encode("transfer 100 to alice");
    for (const hash of HASHES) {
      const der = await key.sign(message, { hash });
      assert.equal(der[0], 0x30, "DER is the default");
      assert.ok(derToRaw(namedCurve, der) !== undefined);
      assert.equal(await key.verify(message, der, { hash }), true);
      const raw = await key.sign(message, { hash, format: "raw" });
      assert.equal(raw.length, 2 * size);
      assert.equal(await key.verify(message, raw, { hash, format: "raw" }), true);
      assert.equal(await key.verify(message, rawToDer(namedCurve, raw), { hash }), true);
    }
  });

  Deno.test(`${algorithm} digest signatures and message signatures are interchangeable`, async () => {
    const key = await freshKey(algorithm);
    const message = text.encode("prehash me");
    for (const hash of HASHES) {
      const digest = await sha(hash, message);
      const fromDigest = await key.sign(digest, { hash, prehashed: true });
      assert.equal(await key.verify(message, fromDigest, { hash }), true);
      const fromMessage = await key.sign(message, { hash, format: "raw" });
      assert.equal(
        await key.verify(digest, fromMessage, { hash, format: "raw", prehashed: true }),
        true,
      );
    }
  });

  Deno.test(`${algorithm} uses the registry's default hash`, async () => {
    const key = await freshKey(algorithm);
    const message = text.encode("default hash");
    const hash: HashName = algorithm === "EC-P256" ? "SHA-256" : "SHA-384";
    const sig = await key.sign(message);
    assert.equal(await key.verify(message, sig, { hash }), true);
    assert.equal(await key.verify(await sha(hash, message), sig, { prehashed: true }), true);
  });

  Deno.test(`${algorithm} publishes an SPKI and JWK that Web Crypto accepts`, async () => {
    const key = await freshKey(algorithm);
    const { spki, jwk } = key.publicKey();
    assert.deepEqual(Object.keys(jwk).sort(), ["crv", "kty", "x", "y"]);
    assert.equal(jwk.kty, "EC");
    assert.equal(jwk.crv, namedCurve);
    assert.equal(fromBase64Url(String(jwk.x))?.length, size);
    const message = text.encode("interop");
    const raw = await key.sign(message, { format: "raw" });
    const hash = algorithm === "EC-P256" ? "SHA-256" : "SHA-384";
    for (
      const imported of [
        await crypto.subtle.importKey(
          "spki",
          new Uint8Array(spki),
          { name: "ECDSA", namedCurve },
          false,
          ["verify"],
        ),
        await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve }, false, ["verify"]),
      ]
    ) {
      assert.equal(
        await crypto.subtle.verify({ name: "ECDSA", hash }, imported, new Uint8Array(raw), message),
        true,
      );
    }
    const verifier = expectMethods(
      await ecdsaVerifierFromSpki(algorithm, spki),
      "verify",
      "publicKey",
    );
    expectNoMethods(verifier, "sign");
    assert.equal(await verifier.verify(message, raw, { format: "raw" }), true);
    assert.deepEqual(verifier.publicKey(), key.publicKey());
  });

  Deno.test(`${algorithm} verify accepts high-S signatures`, async () => {
    const key = await freshKey(algorithm);
    const message = text.encode("malleable");
    const raw = await key.sign(message, { format: "raw" });
    let s = 0n;
    for (const b of raw.subarray(size)) s = (s << 8n) | BigInt(b);
    let flipped = order - s;
    const high = raw.slice();
    for (let i = 2 * size - 1; i >= size; i--) {
      high[i] = Number(flipped & 0xffn);
      flipped >>= 8n;
    }
    assert.equal(await key.verify(message, high, { format: "raw" }), true);
    assert.equal(await key.verify(message, rawToDer(namedCurve, high)), true);
    const digest = await sha(algorithm === "EC-P256" ? "SHA-256" : "SHA-384", message);
    assert.equal(await key.verify(digest, high, { format: "raw", prehashed: true }), true);
  });

  Deno.test(`${algorithm} verify returns false for tampered or malformed signatures`, async () => {
    const key = await freshKey(algorithm);
    const other = await freshKey(algorithm);
    const message = text.encode("original");
    const der = await key.sign(message);
    const raw = await key.sign(message, { format: "raw" });
    const flippedRaw = raw.slice();
    flippedRaw[5] = (flippedRaw[5] as number) ^ 1;
    const flippedDer = der.slice();
    flippedDer[der.length - 1] = (flippedDer[der.length - 1] as number) ^ 1;
    const cases: [string, Uint8Array, "der" | "raw"][] = [
      ["empty DER", new Uint8Array(0), "der"],
      ["empty raw", new Uint8Array(0), "raw"],
      ["truncated DER", der.subarray(0, der.length - 1), "der"],
      ["DER with a trailing byte", new Uint8Array([...der, 0]), "der"],
      ["truncated raw", raw.subarray(0, raw.length - 1), "raw"],
      ["raw with an extra byte", new Uint8Array([...raw, 0]), "raw"],
      ["flipped raw", flippedRaw, "raw"],
      ["flipped DER", flippedDer, "der"],
      ["DER given as raw", der, "raw"],
      ["raw given as DER", raw, "der"],
      ["all-zero raw", new Uint8Array(2 * size), "raw"],
      ["all-ones raw", new Uint8Array(2 * size).fill(0xff), "raw"],
    ];
    const digest = await sha(algorithm === "EC-P256" ? "SHA-256" : "SHA-384", message);
    for (const [what, sig, format] of cases) {
      assert.equal(await key.verify(message, sig, { format }), false, what);
      assert.equal(
        await key.verify(digest, sig, { format, prehashed: true }),
        false,
        `${what} (digest)`,
      );
    }
    assert.equal(await key.verify(text.encode("originaL"), der), false, "other message");
    assert.equal(await other.verify(message, der), false, "other key");
    assert.equal(await key.verify(message, der, { hash: "SHA-512" }), false, "other hash");
  });

  Deno.test(`${algorithm} refuses digests whose length does not match the hash`, async () => {
    const key = await freshKey(algorithm);
    const sig = await key.sign(text.encode("m"));
    for (
      const [hash, length] of [["SHA-256", 48], ["SHA-384", 32], ["SHA-512", 48], [
        "SHA-256",
        0,
      ]] as const
    ) {
      const digest = new Uint8Array(length);
      await assert.rejects(key.sign(digest, { hash, prehashed: true }), isInvalidRequest);
      await assert.rejects(key.verify(digest, sig, { hash, prehashed: true }), isInvalidRequest);
    }
  });

  Deno.test(`${algorithm} refuses unknown hash and format options`, async () => {
    const key = await freshKey(algorithm);
    const bogus = { hash: "MD5" } as unknown as { hash: HashName };
    await assert.rejects(key.sign(text.encode("m"), bogus), isInvalidRequest);
    const bogusFormat = { format: "pem" } as unknown as { format: "der" };
    await assert.rejects(key.sign(text.encode("m"), bogusFormat), isInvalidRequest);
  });

  Deno.test(`${algorithm} keys offer only sign, verify and publicKey`, async () => {
    const key = await freshKey(algorithm);
    assert.equal(key.algorithm, algorithm);
    expectNoMethods(key, "encrypt", "decrypt", "mac", "macVerify", "encapsulate", "decapsulate");
  });

  Deno.test(`${algorithm} load wipes material and refuses anything but its own PKCS#8`, async () => {
    const material = await ecdsaProvider.generate(algorithm);
    const copy = material.slice();
    await ecdsaProvider.load(algorithm, material);
    assert.ok(material.every((b) => b === 0));
    const otherCurve = algorithm === "EC-P256" ? "EC-P384" : "EC-P256";
    const wrongPublic = copy.slice();
    wrongPublic[wrongPublic.length - 1] = (wrongPublic[wrongPublic.length - 1] as number) ^ 1;
    const bad: [string, Uint8Array, "EC-P256" | "EC-P384"][] = [
      ["empty", new Uint8Array(0), algorithm],
      ["truncated", copy.slice(0, copy.length - 1), algorithm],
      ["trailing byte", new Uint8Array([...copy, 0]), algorithm],
      ["other curve", copy.slice(), otherCurve],
      ["mismatched public key", wrongPublic, algorithm],
      ["RSA material", await rsaProvider.generate("RSA-2048"), algorithm],
      ["random bytes", crypto.getRandomValues(new Uint8Array(copy.length)), algorithm],
    ];
    for (const [what, bytes, alg] of bad) {
      await assert.rejects(ecdsaProvider.load(alg, bytes), isUnreadable, what);
      assert.ok(bytes.every((b) => b === 0), `${what} wiped`);
    }
  });

  Deno.test(`${algorithm} a disposed key refuses to sign or verify`, async () => {
    const key = await freshKey(algorithm);
    const sig = await key.sign(text.encode("m"));
    key.dispose();
    key.dispose();
    await assert.rejects(() => key.sign(text.encode("m")), TypeError);
    await assert.rejects(() => key.sign(new Uint8Array(size), { prehashed: true }), TypeError);
    await assert.rejects(() => key.verify(text.encode("m"), sig), TypeError);
  });
}

Deno.test("ecdsaVerifierFromSpki refuses malformed or foreign public keys", async () => {
  const key = await freshKey("EC-P256");
  const spki = key.publicKey().spki;
  const offCurve = spki.slice();
  offCurve[offCurve.length - 1] = (offCurve[offCurve.length - 1] as number) ^ 1;
  for (
    const [what, bytes, algorithm] of [
      ["empty", new Uint8Array(0), "EC-P256"],
      ["truncated", spki.subarray(0, spki.length - 1), "EC-P256"],
      ["point off the curve", offCurve, "EC-P256"],
      ["other curve", spki, "EC-P384"],
    ] as const
  ) {
    await assert.rejects(ecdsaVerifierFromSpki(algorithm, bytes), isInvalidRequest, what);
  }
  await assert.rejects(ecdsaVerifierFromSpki("RSA-2048", spki), RangeError);
});

/** RFC 5915 PKCS#8 for P-256 without the optional public key. */
function p256Pkcs8(scalar: Uint8Array): Uint8Array {
  const prefix = "3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420";
  return new Uint8Array([...(prefix.match(/../g) ?? []).map((h) => parseInt(h, 16)), ...scalar]);
}

Deno.test("EC-P256 loads PKCS#8 without the optional public key and derives it", async () => {
  const scalar = p256.utils.randomSecretKey();
  const key = expectMethods(
    await ecdsaProvider.load("EC-P256", p256Pkcs8(scalar)),
    "sign",
    "publicKey",
  );
  const point = p256.getPublicKey(scalar, false);
  assert.deepEqual(key.publicKey().spki.subarray(-65), point);
  const digest = await sha("SHA-256", text.encode("m"));
  const raw = await key.sign(digest, { prehashed: true, format: "raw" });
  assert.equal(p256.verify(raw, digest, point, { prehash: false, lowS: false }), true);
});

Deno.test("EC-P256 refuses a zero scalar or one not below the group order", async () => {
  const order = p256.Point.CURVE().n;
  const n = new Uint8Array(32);
  let x = order;
  for (let i = 31; i >= 0; i--) {
    n[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  for (const scalar of [new Uint8Array(32), n, new Uint8Array(32).fill(0xff)]) {
    await assert.rejects(ecdsaProvider.load("EC-P256", p256Pkcs8(scalar)), isUnreadable);
  }
});
