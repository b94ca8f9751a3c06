/**
 * Strict boundary encodings: every accepted base64/base64url text is the one canonical
 * encoding of its bytes (no whitespace, exact padding, zero padding bits).
 */

import assert from "node:assert/strict";
import {
  fromBase64,
  fromBase64Url,
  fromHex,
  toBase64,
  toBase64Url,
  toHex,
} from "../../src/core/encoding.ts";

Deno.test("base64 round-trips every length and rejects non-canonical text", () => {
  for (let n = 0; n < 70; n++) {
    const bytes = crypto.getRandomValues(new Uint8Array(n));
    assert.deepEqual(fromBase64(toBase64(bytes)), bytes);
    assert.deepEqual(fromBase64Url(toBase64Url(bytes)), bytes);
  }
  const whitespace = ["\n", " ", "QU FB", "\tQUFB", "QUFB\r\n", "QUFB\f", "QUFB\u00a0"];
  const padding = ["=", "====", "QQ==QQ==", "QUFB="];
  for (
    const bad of [
      "QR==",
      "QUJ=",
      "QQ",
      "QQ=",
      "Q Q==",
      "QQ==\n",
      "QQ===",
      "-_==",
      ...whitespace,
      ...padding,
    ]
  ) {
    assert.equal(fromBase64(bad), undefined, JSON.stringify(bad));
  }
  assert.deepEqual(fromBase64("QQ=="), new Uint8Array([65]));
  for (const bad of ["QR", "QUJ", "Q", "QQ==", "+/", "Q Q"]) {
    assert.equal(fromBase64Url(bad), undefined, JSON.stringify(bad));
  }
  assert.equal(toBase64Url(new Uint8Array([0xfb, 0xff])), "-_8");
});

Deno.test("hex decodes either case and rejects odd or foreign text", () => {
  assert.equal(toHex(new Uint8Array([0, 171, 255])), "00abff");
  assert.deepEqual(fromHex("00ABff"), new Uint8Array([0, 171, 255]));
  for (const bad of ["0", "zz", "0x00"]) assert.equal(fromHex(bad), undefined);
});
