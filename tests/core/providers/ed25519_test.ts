import assert from "node:assert/strict";
import { toBase64Url } from "../../../src/core/encoding.ts";
import { isHsmError } from "../../../src/domain/errors.ts";
import { ecdsaProvider } from "../../../src/core/providers/ecdsa.ts";
import { ed25519Provider, ed25519VerifierFromSpki } from "../../../src/core/providers/ed25519.ts";
import { expectMethods, expectNoMethods, type KeyWith } from "./_methods.ts";

const text = new TextEncoder();

function hex(s: string): Uint8Array {
  return new Uint8Array((s.match(/../g) ?? []).map((h) => parseInt(h, 16)));
}

/** RFC 8410 PKCS#8 around a 32-byte seed. */
function pkcs8(seed: Uint8Array): Uint8Array {
  return new Uint8Array([...hex("302e020100300506032b657004220420"), ...seed]);
}

async function freshKey(): Promise<KeyWith<"sign" | "verify" | "publicKey">> {
  const key = await ed25519Provider.load("Ed25519", await ed25519Provider.generate("Ed25519"));
  return expectMethods(key, "sign", "verify", "publicKey");
}

// RFC 8032 §7.1, TEST 1 and TEST 2.
const RFC8032 = [
  {
    seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155" +
      "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message: "72",
    signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da" +
      "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
];

Deno.test("Ed25519 reproduces the RFC 8032 test vectors", async () => {
  for (const v of RFC8032) {
    const key = expectMethods(
      await ed25519Provider.load("Ed25519", pkcs8(hex(v.seed))),
      "sign",
      "verify",
      "publicKey",
    );
    const { spki, jwk } = key.publicKey();
    assert.deepEqual(jwk, { kty: "OKP", crv: "Ed25519", x: toBase64Url(hex(v.publicKey)) });
    assert.deepEqual(
      spki,
      new Uint8Array([...hex("302a300506032b6570032100"), ...hex(v.publicKey)]),
    );
    assert.deepEqual(await key.sign(hex(v.message)), hex(v.signature));
    assert.equal(await key.verify(hex(v.message), hex(v.signature)), true);
  }
});

Deno.test("Ed25519 signs and verifies, and its SPKI and JWK work in Web Crypto", async () => {
  const key = await freshKey();
  const message = text.encode("hello ed25519");
  const sig = await key.sign(message);
  assert.equal(sig.length, 64);
  assert.equal(await key.verify(message, sig), true);
  const { spki, jwk } = key.publicKey();
  for (
    const imported of [
      await crypto.subtle.importKey("spki", new Uint8Array(spki), "Ed25519", false, ["verify"]),
      await crypto.subtle.importKey("jwk", jwk, "Ed25519", false, ["verify"]),
    ]
  ) {
    assert.equal(
      await crypto.subtle.verify("Ed25519", imported, new Uint8Array(sig), message),
      true,
    );
  }
  const verifier = expectMethods(await ed25519VerifierFromSpki("Ed25519", spki), "verify");
  expectNoMethods(verifier, "sign");
  assert.equal(await verifier.verify(message, sig), true);
});

Deno.test("Ed25519 verify returns false for tampered or malformed signatures", async () => {
  const key = await freshKey();
  const other = await freshKey();
  const message = text.encode("original");
  const sig = await key.sign(message);
  const flipped = sig.slice();
  flipped[10] = (flipped[10] as number) ^ 1;
  const highS = sig.slice();
  highS[63] = (highS[63] as number) | 0xf0; // S ≥ L: non-canonical
  for (
    const [what, candidate] of [
      ["empty", new Uint8Array(0)],
      ["truncated", sig.subarray(0, 63)],
      ["extended", new Uint8Array([...sig, 0])],
      ["flipped", flipped],
      ["non-canonical S", highS],
      ["zeros", new Uint8Array(64)],
    ] as const
  ) {
    assert.equal(await key.verify(message, candidate), false, what);
  }
  assert.equal(await key.verify(text.encode("originaL"), sig), false);
  assert.equal(await other.verify(message, sig), false);
});

Deno.test("Ed25519 refuses prehashed input", async () => {
  const key = await freshKey();
  const isInvalid = (e: unknown) => isHsmError(e, "invalid_request");
  await assert.rejects(key.sign(new Uint8Array(32), { prehashed: true }), isInvalid);
  await assert.rejects(
    key.verify(new Uint8Array(32), new Uint8Array(64), { prehashed: true }),
    isInvalid,
  );
});

Deno.test("Ed25519 keys offer only sign, verify and publicKey", async () => {
  const key = await freshKey();
  assert.equal(key.algorithm, "Ed25519");
  expectNoMethods(key, "encrypt", "decrypt", "mac", "macVerify", "encapsulate", "decapsulate");
});

Deno.test("Ed25519 load wipes material and refuses anything but its own PKCS#8", async () => {
  const material = await ed25519Provider.generate("Ed25519");
  const copy = material.slice();
  await ed25519Provider.load("Ed25519", material);
  assert.ok(material.every((b) => b === 0));
  const isUnreadable = (e: unknown) => isHsmError(e, "integrity_error");
  for (
    const [what, bytes] of [
      ["empty", new Uint8Array(0)],
      ["truncated", copy.slice(0, copy.length - 1)],
      ["trailing byte", new Uint8Array([...copy, 0])],
      ["EC material", await ecdsaProvider.generate("EC-P256")],
      [
        "31-byte seed",
        new Uint8Array([...hex("302d020100300506032b657004210420"), ...new Uint8Array(31)]),
      ],
    ] as const
  ) {
    await assert.rejects(ed25519Provider.load("Ed25519", bytes), isUnreadable, what);
    assert.ok(bytes.every((b) => b === 0), `${what} wiped`);
  }
  await assert.rejects(ed25519Provider.load("EC-P256", copy), RangeError);
});

Deno.test("a disposed Ed25519 key refuses to work", async () => {
  const key = await freshKey();
  const sig = await key.sign(text.encode("m"));
  key.dispose();
  key.dispose();
  await assert.rejects(() => key.sign(text.encode("m")), TypeError);
  await assert.rejects(() => key.verify(text.encode("m"), sig), TypeError);
  assert.throws(() => key.publicKey(), TypeError);
});

Deno.test("ed25519VerifierFromSpki refuses malformed public keys", async () => {
  const { spki } = (await freshKey()).publicKey();
  const isInvalid = (e: unknown) => isHsmError(e, "invalid_request");
  await assert.rejects(ed25519VerifierFromSpki("Ed25519", new Uint8Array(0)), isInvalid);
  await assert.rejects(
    ed25519VerifierFromSpki("Ed25519", spki.subarray(0, spki.length - 1)),
    isInvalid,
  );
  const wrongOid = spki.slice();
  wrongOid[8] = 0x71; // 1.3.101.113 (Ed448)
  await assert.rejects(ed25519VerifierFromSpki("Ed25519", wrongOid), isInvalid);
});
