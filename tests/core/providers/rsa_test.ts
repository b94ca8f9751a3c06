import assert from "node:assert/strict";
import type { Algorithm, HashName } from "../../../src/domain/algorithms.ts";
import { fromBase64Url } from "../../../src/core/encoding.ts";
import { isHsmError } from "../../../src/domain/errors.ts";
import { ecdsaProvider } from "../../../src/core/providers/ecdsa.ts";
import { rsaProvider, rsaVerifierFromSpki } from "../../../src/core/providers/rsa.ts";
import { expectMethods, expectNoMethods, type KeyWith } from "./_methods.ts";

const text = new TextEncoder();
const HASHES: HashName[] = ["SHA-256", "SHA-384", "SHA-512"];
type RsaKey = KeyWith<"sign" | "verify" | "encrypt" | "decrypt" | "publicKey">;

// One generated key per size, shared by the tests (RSA-4096 generation takes seconds).
const materials = new Map<Algorithm, Promise<Uint8Array>>();
function material(algorithm: Algorithm): Promise<Uint8Array> {
  let m = materials.get(algorithm);
  if (m === undefined) {
    m = rsaProvider.generate(algorithm);
    materials.set(algorithm, m);
  }
  return m.then((bytes) => bytes.slice());
}

async function loadKey(algorithm: Algorithm = "RSA-2048"): Promise<RsaKey> {
  const key = await rsaProvider.load(algorithm, await material(algorithm));
  return expectMethods(key, "sign", "verify", "encrypt", "decrypt", "publicKey");
}

async function sha(hash: HashName, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(hash, new Uint8Array(data)));
}

const isInvalid = (e: unknown) => isHsmError(e, "invalid_request");
const isDecryptionFailed = (e: unknown) =>
  isInvalid(e) && (e as Error).message === "Decryption failed";
const isUnreadable = (e: unknown) =>
  isHsmError(e, "integrity_error") && e.message === "Sealed key material is unreadable";

for (const algorithm of ["RSA-2048", "RSA-3072", "RSA-4096"] as const) {
  Deno.test(`${algorithm} round-trips signatures and OAEP encryption`, async () => {
    const key = await loadKey(algorithm);
    const bytes = Number(algorithm.slice(4)) / 8;
    const message = text.encode("pay 10 EUR");
    for (const padding of ["pkcs1", "pss"] as const) {
      const sig = await key.sign(message, { padding });
      assert.equal(sig.length, bytes);
      assert.equal(await key.verify(message, sig, { padding }), true);
    }
    const ct = await key.encrypt(message);
    assert.equal(ct.length, bytes);
    assert.deepEqual(await key.decrypt(ct), message);
    const { jwk } = key.publicKey();
    assert.equal(fromBase64Url(String(jwk.n))?.length, bytes);
  });
}

Deno.test("RSA signs with every hash and padding, and verifies messages and digests", async () => {
  const key = await loadKey();
  const message = text.encode("hash me");
  for (const hash of HASHES) {
    const digest = await sha(hash, message);
    for (const padding of ["pkcs1", "pss"] as const) {
      const sig = await key.sign(message, { hash, padding });
      assert.equal(await key.verify(message, sig, { hash, padding }), true, `${hash} ${padding}`);
      assert.equal(
        await key.verify(digest, sig, { hash, padding, prehashed: true }),
        true,
        `${hash} ${padding} digest`,
      );
      const otherPadding = padding === "pkcs1" ? "pss" : "pkcs1";
      assert.equal(await key.verify(message, sig, { hash, padding: otherPadding }), false);
      assert.equal(
        await key.verify(digest, sig, { hash, padding: otherPadding, prehashed: true }),
        false,
      );
    }
  }
  // PKCS#1 v1.5 is deterministic, PSS is randomised.
  assert.deepEqual(await key.sign(message), await key.sign(message));
  assert.notDeepEqual(
    await key.sign(message, { padding: "pss" }),
    await key.sign(message, { padding: "pss" }),
  );
});

Deno.test("RSA signatures interoperate with Web Crypto through the published SPKI and JWK", async () => {
  const key = await loadKey();
  const { spki, jwk } = key.publicKey();
  assert.deepEqual(Object.keys(jwk).sort(), ["e", "kty", "n"]);
  assert.equal(jwk.kty, "RSA");
  assert.equal(jwk.e, "AQAB");
  const message = text.encode("interop");
  const pss = await crypto.subtle.importKey(
    "spki",
    new Uint8Array(spki),
    { name: "RSA-PSS", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const sigPss = await key.sign(message, { padding: "pss" });
  assert.equal(
    await crypto.subtle.verify(
      { name: "RSA-PSS", saltLength: 32 },
      pss,
      new Uint8Array(sigPss),
      message,
    ),
    true,
  );
  const pkcs1 = await crypto.subtle.importKey(
    "jwk",
    jwk,
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-384" },
    false,
    ["verify"],
  );
  const sig = await key.sign(message, { hash: "SHA-384" });
  assert.equal(
    await crypto.subtle.verify("RSASSA-PKCS1-v1_5", pkcs1, new Uint8Array(sig), message),
    true,
  );
  const oaep = await crypto.subtle.importKey(
    "spki",
    new Uint8Array(spki),
    { name: "RSA-OAEP", hash: "SHA-256" },
    false,
    ["encrypt"],
  );
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "RSA-OAEP" }, oaep, message));
  assert.deepEqual(await key.decrypt(ct), message);
});

Deno.test("RSA verify returns false for tampered or wrong-length signatures", async () => {
  const key = await loadKey();
  const other = await loadKey("RSA-3072");
  const message = text.encode("original");
  const digest = await sha("SHA-256", message);
  for (const padding of ["pkcs1", "pss"] as const) {
    const sig = await key.sign(message, { padding });
    const flipped = sig.slice();
    flipped[100] = (flipped[100] as number) ^ 1;
    for (
      const [what, candidate] of [
        ["empty", new Uint8Array(0)],
        ["truncated", sig.subarray(1)],
        ["leading zero added", new Uint8Array([0, ...sig])],
        ["flipped", flipped],
        ["zeros", new Uint8Array(sig.length)],
        ["all ones (≥ n)", new Uint8Array(sig.length).fill(0xff)],
      ] as const
    ) {
      assert.equal(await key.verify(message, candidate, { padding }), false, `${padding} ${what}`);
      assert.equal(
        await key.verify(digest, candidate, { padding, prehashed: true }),
        false,
        `${padding} ${what} digest`,
      );
    }
    assert.equal(await key.verify(text.encode("originaL"), sig, { padding }), false);
    assert.equal(await key.verify(message, sig, { padding, hash: "SHA-512" }), false);
    assert.equal(await other.verify(message, sig, { padding }), false);
  }
});

Deno.test("RSA refuses prehashed signing, bad digest lengths and unknown options", async () => {
  const key = await loadKey();
  const sig = await key.sign(text.encode("m"));
  await assert.rejects(
    key.sign(new Uint8Array(32), { prehashed: true }),
    (e: unknown) =>
      isInvalid(e) && (e as Error).message === "Prehashed signing is not supported for RSA keys",
  );
  await assert.rejects(key.verify(new Uint8Array(31), sig, { prehashed: true }), isInvalid);
  await assert.rejects(
    key.verify(new Uint8Array(32), sig, { prehashed: true, hash: "SHA-384" }),
    isInvalid,
  );
  const bogusPadding = { padding: "none" } as unknown as { padding: "pss" };
  await assert.rejects(key.sign(text.encode("m"), bogusPadding), isInvalid);
  await assert.rejects(key.verify(text.encode("m"), sig, bogusPadding), isInvalid);
  const bogusHash = { hash: "SHA-1" } as unknown as { hash: HashName };
  await assert.rejects(key.sign(text.encode("m"), bogusHash), isInvalid);
});

Deno.test("RSA-OAEP binds the label given as aad and fails vaguely", async () => {
  const key = await loadKey();
  const message = text.encode("wrapped key bytes");
  const label = text.encode("context");
  const ct = await key.encrypt(message, label);
  assert.deepEqual(await key.decrypt(ct, label), message);
  const flipped = ct.slice();
  flipped[17] = (flipped[17] as number) ^ 1;
  for (
    const [what, attempt] of [
      ["no label", () => key.decrypt(ct)],
      ["wrong label", () => key.decrypt(ct, text.encode("other"))],
      ["flipped", () => key.decrypt(flipped, label)],
      ["truncated", () => key.decrypt(ct.subarray(1), label)],
      ["extended", () => key.decrypt(new Uint8Array([0, ...ct]), label)],
      ["empty", () => key.decrypt(new Uint8Array(0))],
    ] as const
  ) {
    await assert.rejects(attempt, isDecryptionFailed, what);
  }
  // An empty aad is the same as no label.
  assert.deepEqual(await key.decrypt(await key.encrypt(message), new Uint8Array(0)), message);
});

Deno.test("RSA-OAEP refuses plaintexts longer than the key allows", async () => {
  const key = await loadKey();
  const max = 256 - 2 * 32 - 2;
  assert.equal((await key.decrypt(await key.encrypt(new Uint8Array(max)))).length, max);
  await assert.rejects(key.encrypt(new Uint8Array(max + 1)), isInvalid);
});

Deno.test("RSA keys offer no mac or KEM methods; public keys offer no private ones", async () => {
  const key = await loadKey();
  expectNoMethods(key, "mac", "macVerify", "encapsulate", "decapsulate");
  const pub = await rsaVerifierFromSpki("RSA-2048", key.publicKey().spki);
  expectNoMethods(pub, "sign", "decrypt", "mac", "macVerify", "encapsulate", "decapsulate");
  const verifier = expectMethods(pub, "verify", "encrypt", "publicKey");
  const message = text.encode("m");
  assert.equal(await verifier.verify(message, await key.sign(message)), true);
  assert.deepEqual(await key.decrypt(await verifier.encrypt(message)), message);
  assert.deepEqual(verifier.publicKey(), key.publicKey());
});

Deno.test("RSA load wipes material and refuses foreign or damaged PKCS#8", async () => {
  const bytes = await material("RSA-2048");
  const copy = bytes.slice();
  await rsaProvider.load("RSA-2048", bytes);
  assert.ok(bytes.every((b) => b === 0));
  for (
    const [what, candidate, algorithm] of [
      ["empty", new Uint8Array(0), "RSA-2048"],
      ["truncated", copy.slice(0, copy.length - 1), "RSA-2048"],
      ["trailing byte", new Uint8Array([...copy, 0]), "RSA-2048"],
      ["other size", copy.slice(), "RSA-3072"],
      ["EC material", await ecdsaProvider.generate("EC-P256"), "RSA-2048"],
    ] as const
  ) {
    await assert.rejects(rsaProvider.load(algorithm, candidate), isUnreadable, what);
    assert.ok(candidate.every((b) => b === 0), `${what} wiped`);
  }
  await assert.rejects(rsaProvider.load("EC-P256", copy.slice()), RangeError);
  await assert.rejects(rsaProvider.generate("AES-256-GCM"), RangeError);
});

Deno.test("rsaVerifierFromSpki refuses malformed keys and keys of another size", async () => {
  const { spki } = (await loadKey()).publicKey();
  await assert.rejects(rsaVerifierFromSpki("RSA-2048", new Uint8Array(0)), isInvalid);
  await assert.rejects(
    rsaVerifierFromSpki("RSA-2048", spki.subarray(0, spki.length - 1)),
    isInvalid,
  );
  await assert.rejects(rsaVerifierFromSpki("RSA-4096", spki), isInvalid);
});

Deno.test("a disposed RSA key refuses to work", async () => {
  const key = await loadKey();
  const sig = await key.sign(text.encode("m"));
  const ct = await key.encrypt(text.encode("m"));
  key.dispose();
  key.dispose();
  await assert.rejects(() => key.sign(text.encode("m")), TypeError);
  await assert.rejects(() => key.verify(text.encode("m"), sig), TypeError);
  await assert.rejects(() => key.encrypt(text.encode("m")), TypeError);
  await assert.rejects(() => key.decrypt(ct), TypeError);
  assert.throws(() => key.publicKey(), TypeError);
});
