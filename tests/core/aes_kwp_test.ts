/**
 * AES Key Wrap with Padding: the two worked examples of RFC 5649 §6, agreement with
 * OpenSSL's `id-aes256-wrap-pad` (through node:crypto) for every length up to 80 bytes,
 * and the refusals of unwrap (tampered bytes, wrong key, truncation, bad padding).
 */

import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import { aesKwpUnwrap, aesKwpWrap } from "../../src/core/aes_kwp.ts";
import { fromHex, toHex } from "../../src/core/encoding.ts";
import { isHsmError } from "../../src/domain/errors.ts";

function hex(text: string): Uint8Array {
  const bytes = fromHex(text.replaceAll(" ", ""));
  if (bytes === undefined) throw new TypeError("bad hex");
  return bytes;
}

/** RFC 5649 §6: a 192-bit KEK wrapping a 20-octet and a 7-octet key. */
const RFC5649_KEK = hex("5840df6e29b02af1 ab493b705bf16ea1 ae8338f4dcc176a8");
const RFC5649_CASES = [
  {
    key: "c37b7e6492584340 bed1220780894115 5068f738",
    wrap: "138bdeaa9b8fa7fc 61f97742e72248ee 5ae6ae5360d1ae6a 5f54f373fa543b6a",
  },
  { key: "466f7250617369", wrap: "afbeb0f07dfbf541 9200f2ccb50bb24f" },
];

Deno.test("KWP reproduces the RFC 5649 section 6 examples", () => {
  for (const { key, wrap } of RFC5649_CASES) {
    assert.equal(toHex(aesKwpWrap(RFC5649_KEK, hex(key))), wrap.replaceAll(" ", ""));
    assert.equal(toHex(aesKwpUnwrap(RFC5649_KEK, hex(wrap))), key.replaceAll(" ", ""));
  }
});

function opensslWrap(kek: Uint8Array, data: Uint8Array): Uint8Array {
  const name = `id-aes${kek.length * 8}-wrap-pad`;
  const cipher = createCipheriv(name, kek, hex("a65959a6"));
  return new Uint8Array([...cipher.update(data), ...cipher.final()]);
}

Deno.test("KWP agrees with OpenSSL's id-aes-wrap-pad for every length up to 80 bytes", () => {
  for (const size of [16, 24, 32]) {
    const kek = crypto.getRandomValues(new Uint8Array(size));
    for (let m = 1; m <= 80; m++) {
      const data = crypto.getRandomValues(new Uint8Array(m));
      const ours = aesKwpWrap(kek, data);
      assert.equal(ours.length, Math.ceil(m / 8) * 8 + 8);
      assert.deepEqual(ours, opensslWrap(kek, data), `KEK ${size} bytes, ${m} bytes of data`);
      assert.deepEqual(aesKwpUnwrap(kek, ours), data);
    }
  }
});

Deno.test("KWP unwrap refuses flipped bytes, a wrong key and truncated input alike", () => {
  const kek = crypto.getRandomValues(new Uint8Array(32));
  const data = crypto.getRandomValues(new Uint8Array(121));
  const wrapped = aesKwpWrap(kek, data);
  const refusals: Uint8Array[] = [];
  for (const at of [0, 3, 4, 7, 8, wrapped.length - 1]) {
    const bad = wrapped.slice();
    bad[at] = (bad[at] as number) ^ 0x01;
    refusals.push(bad);
  }
  refusals.push(wrapped.subarray(0, wrapped.length - 8), wrapped.subarray(0, 8));
  refusals.push(wrapped.subarray(1), new Uint8Array(0));
  for (const bad of refusals) {
    assert.throws(
      () => aesKwpUnwrap(kek, bad),
      (e) => isHsmError(e, "invalid_request") && /integrity check failed/.test(e.message),
    );
  }
  const other = crypto.getRandomValues(new Uint8Array(32));
  assert.throws(() => aesKwpUnwrap(other, wrapped), (e) => isHsmError(e, "invalid_request"));
});

Deno.test("KWP unwrap refuses a length indicator outside the last semiblock or non-zero padding", () => {
  const kek = crypto.getRandomValues(new Uint8Array(32));
  // Wrap 16 bytes with RFC 3394's W under the AIV of a 9-byte message: MLI too small.
  const encrypt = (aiv: Uint8Array, body: Uint8Array) => {
    const cipher = createCipheriv("aes256-wrap", kek, aiv);
    return new Uint8Array([...cipher.update(body), ...cipher.final()]);
  };
  const body = crypto.getRandomValues(new Uint8Array(24));
  assert.throws(() => aesKwpUnwrap(kek, encrypt(hex("a65959a600000009"), body)));
  assert.throws(() => aesKwpUnwrap(kek, encrypt(hex("a65959a600000019"), body)));
  body.fill(1, 20);
  assert.throws(() => aesKwpUnwrap(kek, encrypt(hex("a65959a600000014"), body)));
  body.fill(0, 20);
  assert.equal(aesKwpUnwrap(kek, encrypt(hex("a65959a600000014"), body)).length, 20);
});

Deno.test("KWP wrap refuses empty data and keys of the wrong size", () => {
  assert.throws(() => aesKwpWrap(new Uint8Array(32), new Uint8Array(0)), RangeError);
  assert.throws(() => aesKwpWrap(new Uint8Array(20), new Uint8Array(8)), RangeError);
});
