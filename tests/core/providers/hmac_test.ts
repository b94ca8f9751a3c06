import assert from "node:assert/strict";
import { isHsmError } from "../../../src/domain/errors.ts";
import { hmacProvider } from "../../../src/core/providers/hmac.ts";
import { expectMethods, expectNoMethods, type KeyWith } from "./_methods.ts";

const text = new TextEncoder();

async function freshKey(): Promise<KeyWith<"mac" | "macVerify">> {
  const material = await hmacProvider.generate("HMAC-SHA256");
  return expectMethods(await hmacProvider.load("HMAC-SHA256", material), "mac", "macVerify");
}

Deno.test("mac gives a 32-byte tag that macVerify accepts", async () => {
  const key = await freshKey();
  for (const message of [new Uint8Array(0), text.encode("hello"), new Uint8Array(10000)]) {
    const tag = await key.mac(message);
    assert.equal(tag.length, 32);
    assert.equal(await key.macVerify(message, tag), true);
  }
});

Deno.test("mac matches HMAC-SHA256 computed independently", async () => {
  const material = await hmacProvider.generate("HMAC-SHA256");
  const reference = await crypto.subtle.importKey(
    "raw",
    material.slice(),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const key = expectMethods(await hmacProvider.load("HMAC-SHA256", material), "mac");
  const message = text.encode("interop");
  assert.deepEqual(
    await key.mac(message),
    new Uint8Array(await crypto.subtle.sign("HMAC", reference, message)),
  );
});

Deno.test("macVerify returns false for wrong, truncated, extended or flipped tags", async () => {
  const key = await freshKey();
  const other = await freshKey();
  const message = text.encode("message");
  const tag = await key.mac(message);
  const flipped = tag.slice();
  flipped[31] = (flipped[31] as number) ^ 0x80;
  const cases: [string, Promise<boolean>][] = [
    ["empty tag", key.macVerify(message, new Uint8Array(0))],
    ["truncated to 16 bytes", key.macVerify(message, tag.subarray(0, 16))],
    ["truncated by one byte", key.macVerify(message, tag.subarray(0, 31))],
    ["extended by one byte", key.macVerify(message, new Uint8Array([...tag, 0]))],
    ["flipped bit", key.macVerify(message, flipped)],
    ["other message", key.macVerify(text.encode("messagf"), tag)],
    ["other key", other.macVerify(message, tag)],
  ];
  for (const [what, result] of cases) assert.equal(await result, false, what);
});

Deno.test("an HMAC key offers only mac and macVerify", async () => {
  const key = await freshKey();
  assert.equal(key.algorithm, "HMAC-SHA256");
  expectNoMethods(
    key,
    "encrypt",
    "decrypt",
    "sign",
    "verify",
    "encapsulate",
    "decapsulate",
    "publicKey",
  );
});

Deno.test("load wipes its material and refuses keys that are not 32 bytes", async () => {
  const material = await hmacProvider.generate("HMAC-SHA256");
  await hmacProvider.load("HMAC-SHA256", material);
  assert.ok(material.every((b) => b === 0));
  for (const length of [0, 16, 64]) {
    const bad = new Uint8Array(length).fill(9);
    await assert.rejects(
      hmacProvider.load("HMAC-SHA256", bad),
      (e: unknown) => isHsmError(e, "integrity_error"),
    );
    assert.ok(bad.every((b) => b === 0));
  }
  await assert.rejects(hmacProvider.load("AES-256-GCM", new Uint8Array(32)), RangeError);
});

Deno.test("a disposed HMAC key refuses to work", async () => {
  const key = await freshKey();
  const tag = await key.mac(text.encode("m"));
  key.dispose();
  key.dispose();
  await assert.rejects(() => key.mac(text.encode("m")), TypeError);
  await assert.rejects(() => key.macVerify(text.encode("m"), tag), TypeError);
});
