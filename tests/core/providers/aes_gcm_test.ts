import assert from "node:assert/strict";
import { isHsmError } from "../../../src/domain/errors.ts";
import {
  AES_GCM_NONCE_LENGTH,
  AES_GCM_TAG_LENGTH,
  aesGcmDecrypt,
  aesGcmEncrypt,
  aesGcmProvider,
} from "../../../src/core/providers/aes_gcm.ts";
import { expectMethods, expectNoMethods, type KeyWith } from "./_methods.ts";

const text = new TextEncoder();

async function freshKey(): Promise<KeyWith<"encrypt" | "decrypt">> {
  const material = await aesGcmProvider.generate("AES-256-GCM");
  return expectMethods(await aesGcmProvider.load("AES-256-GCM", material), "encrypt", "decrypt");
}

function isDecryptionFailed(e: unknown): boolean {
  return isHsmError(e, "invalid_request") && e.message === "Decryption failed";
}

function isUnreadable(e: unknown): boolean {
  return isHsmError(e, "integrity_error") && e.message === "Sealed key material is unreadable";
}

Deno.test("generate returns 32 fresh random bytes each time", async () => {
  const a = await aesGcmProvider.generate("AES-256-GCM");
  const b = await aesGcmProvider.generate("AES-256-GCM");
  assert.equal(a.length, 32);
  assert.notDeepEqual(a, b);
});

Deno.test("encrypt and decrypt round-trip with and without additional data", async () => {
  const key = await freshKey();
  for (
    const plaintext of [new Uint8Array(0), text.encode("attack at dawn"), new Uint8Array(5000)]
  ) {
    const sealed = await key.encrypt(plaintext);
    assert.equal(sealed.length, AES_GCM_NONCE_LENGTH + plaintext.length + AES_GCM_TAG_LENGTH);
    assert.deepEqual(await key.decrypt(sealed), plaintext);
    const aad = text.encode("key-id:v3");
    assert.deepEqual(await key.decrypt(await key.encrypt(plaintext, aad), aad), plaintext);
  }
});

Deno.test("encrypt uses a new nonce every time", async () => {
  const key = await freshKey();
  const message = text.encode("same message");
  const nonces = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const sealed = await key.encrypt(message);
    nonces.add(sealed.subarray(0, AES_GCM_NONCE_LENGTH).join(","));
  }
  assert.equal(nonces.size, 20);
});

Deno.test("decrypt refuses truncated, flipped, wrong-aad and wrong-key ciphertexts alike", async () => {
  const key = await freshKey();
  const other = await freshKey();
  const aad = text.encode("context");
  const sealed = await key.encrypt(text.encode("secret payload"), aad);
  const attempts: [string, () => Promise<Uint8Array>][] = [
    ["empty", () => key.decrypt(new Uint8Array(0), aad)],
    ["shorter than nonce and tag", () => key.decrypt(sealed.subarray(0, 27), aad)],
    ["tag cut by one byte", () => key.decrypt(sealed.subarray(0, sealed.length - 1), aad)],
    ["wrong aad", () => key.decrypt(sealed, text.encode("other"))],
    ["missing aad", () => key.decrypt(sealed)],
    ["wrong key", () => other.decrypt(sealed, aad)],
  ];
  for (const at of [0, 11, 12, 20, sealed.length - 16, sealed.length - 1]) {
    const flipped = sealed.slice();
    flipped[at] = (flipped[at] as number) ^ 0x01;
    attempts.push([`bit flipped at ${at}`, () => key.decrypt(flipped, aad)]);
  }
  for (const [what, attempt] of attempts) {
    await assert.rejects(attempt, isDecryptionFailed, what);
  }
});

Deno.test("an AES key offers only encrypt and decrypt", async () => {
  const key = await freshKey();
  assert.equal(key.algorithm, "AES-256-GCM");
  expectNoMethods(
    key,
    "sign",
    "verify",
    "mac",
    "macVerify",
    "encapsulate",
    "decapsulate",
    "publicKey",
  );
});

Deno.test("load wipes the material it is given", async () => {
  const material = await aesGcmProvider.generate("AES-256-GCM");
  await aesGcmProvider.load("AES-256-GCM", material);
  assert.ok(material.every((b) => b === 0));
});

Deno.test("load refuses material of the wrong length and still wipes it", async () => {
  for (const length of [0, 16, 31, 33, 64]) {
    const material = new Uint8Array(length).fill(7);
    await assert.rejects(aesGcmProvider.load("AES-256-GCM", material), isUnreadable);
    assert.ok(material.every((b) => b === 0));
  }
});

Deno.test("the AES provider refuses other algorithms as a programmer error", async () => {
  await assert.rejects(aesGcmProvider.generate("HMAC-SHA256"), RangeError);
  await assert.rejects(aesGcmProvider.load("RSA-2048", new Uint8Array(32)), RangeError);
});

Deno.test("a disposed key refuses to work and dispose is idempotent", async () => {
  const key = await freshKey();
  const sealed = await key.encrypt(text.encode("x"));
  key.dispose();
  key.dispose();
  await assert.rejects(() => key.encrypt(text.encode("x")), TypeError);
  await assert.rejects(() => key.decrypt(sealed), TypeError);
});

Deno.test("the low-level functions take a caller-chosen nonce", async () => {
  const raw = new Uint8Array(32).fill(1);
  const cryptoKey = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  const nonce = new Uint8Array(12).fill(2);
  const sealed = await aesGcmEncrypt(cryptoKey, nonce, text.encode("hi"), text.encode("a"));
  assert.equal(sealed.length, 2 + 16);
  assert.deepEqual(
    await aesGcmDecrypt(cryptoKey, nonce, sealed, text.encode("a")),
    text.encode("hi"),
  );
  await assert.rejects(aesGcmDecrypt(cryptoKey, nonce, sealed.subarray(0, 15)), isDecryptionFailed);
  // The provider's format is exactly nonce‖aesGcmEncrypt(...).
  const key = expectMethods(await aesGcmProvider.load("AES-256-GCM", raw.slice()), "decrypt");
  const framed = new Uint8Array([...nonce, ...sealed]);
  assert.deepEqual(await key.decrypt(framed, text.encode("a")), text.encode("hi"));
});
