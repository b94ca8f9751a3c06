/**
 * The BYOK transport format: a wrap made for a fresh RSA-3072 wrapping key unwraps to
 * the same material; every malformed or tampered wrap fails with one vague error (OAEP
 * failure, wrong ephemeral key length, KWP integrity, truncation), and a wrap for another
 * wrapping key does not open. Interop with pyca and OpenSSL is in tests/interop/.
 */

import assert from "node:assert/strict";
import { aesKwpWrap } from "../../src/core/aes_kwp.ts";
import {
  generateWrappingKey,
  unwrapImportedKey,
  wrapKeyForImport,
  WRAPPING_KEY_BITS,
} from "../../src/core/import_wrapping.ts";
import { isHsmError } from "../../src/domain/errors.ts";

const pair = await generateWrappingKey();

function vague(e: unknown): boolean {
  return isHsmError(e, "invalid_request") &&
    e.message === "Cannot unwrap key material: integrity check failed";
}

async function oaepEncrypt(spki: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "spki",
    new Uint8Array(spki),
    { name: "RSA-OAEP", hash: "SHA-256" },
    false,
    ["encrypt"],
  );
  return new Uint8Array(
    await crypto.subtle.encrypt({ name: "RSA-OAEP" }, key, new Uint8Array(data)),
  );
}

Deno.test("a wrapping key is RSA-3072 and a wrap for it unwraps to the material", async () => {
  const pub = await crypto.subtle.importKey(
    "spki",
    new Uint8Array(pair.spki),
    { name: "RSA-OAEP", hash: "SHA-256" },
    true,
    ["encrypt"],
  );
  assert.equal((pub.algorithm as RsaHashedKeyAlgorithm).modulusLength, WRAPPING_KEY_BITS);
  for (const length of [1, 32, 64, 1217, 2400]) {
    const material = crypto.getRandomValues(new Uint8Array(length));
    const wrapped = await wrapKeyForImport(pair.spki, material);
    assert.equal(wrapped.length, 384 + Math.ceil(length / 8) * 8 + 8);
    assert.deepEqual(await unwrapImportedKey(pair.material, wrapped), material);
  }
});

Deno.test("tampered, truncated or foreign wraps fail with one vague error", async () => {
  const material = crypto.getRandomValues(new Uint8Array(32));
  const wrapped = await wrapKeyForImport(pair.spki, material);
  const cases: Uint8Array[] = [];
  for (const at of [0, 200, 383, 384, 390, wrapped.length - 1]) {
    const bad = wrapped.slice();
    bad[at] = (bad[at] as number) ^ 0x80;
    cases.push(bad);
  }
  cases.push(
    wrapped.subarray(0, 384),
    wrapped.subarray(0, wrapped.length - 8),
    wrapped.subarray(8),
  );
  const other = await wrapKeyForImport(
    (await generateWrappingKey()).spki,
    material,
  );
  cases.push(other);
  for (const bad of cases) await assert.rejects(unwrapImportedKey(pair.material, bad), vague);
});

Deno.test("an ephemeral key that is not 32 bytes is refused", async () => {
  for (const size of [16, 24]) {
    const aesKey = crypto.getRandomValues(new Uint8Array(size));
    const wrapped = new Uint8Array([
      ...await oaepEncrypt(pair.spki, aesKey),
      ...aesKwpWrap(aesKey, new Uint8Array(32)),
    ]);
    await assert.rejects(unwrapImportedKey(pair.material, wrapped), vague);
  }
});

Deno.test("wrapping for something that is not an RSA key is refused", async () => {
  await assert.rejects(
    wrapKeyForImport(new Uint8Array(10), new Uint8Array(32)),
    (e) => isHsmError(e, "invalid_request"),
  );
});
