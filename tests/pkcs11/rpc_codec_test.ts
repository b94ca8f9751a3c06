import assert from "node:assert/strict";
import { CK_UNAVAILABLE_INFORMATION } from "../../src/pkcs11/constants.ts";
import { RpcProtocolError, RpcReader, RpcWriter } from "../../src/pkcs11/rpc_codec.ts";
import { hex, toHexString } from "./_fake_backend.ts";

function written(fn: (w: RpcWriter) => void): string {
  const w = new RpcWriter();
  fn(w);
  return toHexString(w.finish());
}

Deno.test("a CK_ULONG is 8 bytes big-endian, ~0 included", () => {
  assert.equal(written((w) => w.ulong(0x0102_0304_0506)), "0000010203040506");
  assert.equal(written((w) => w.ulong(CK_UNAVAILABLE_INFORMATION)), "ffffffffffffffff");
  assert.equal(new RpcReader(hex("0000010203040506")).ulong(), 0x0102_0304_0506);
});

Deno.test("a byte array is a u32 length then the bytes, NULL is 0xffffffff", () => {
  assert.equal(written((w) => w.byteArray(hex("abcd"))), "00000002abcd");
  assert.equal(written((w) => w.byteArray(null)), "ffffffff");
  assert.equal(new RpcReader(hex("ffffffff")).byteArray(), null);
  assert.equal(toHexString(new RpcReader(hex("00000002abcd")).byteArray() ?? hex("")), "abcd");
});

Deno.test("the reader refuses to read past the end of a message", () => {
  assert.throws(() => new RpcReader(hex("000000")).uint32(), RpcProtocolError);
  assert.throws(() => new RpcReader(hex("00000005abcd")).byteArray(), RpcProtocolError);
  assert.throws(() => new RpcReader(hex("7fffffff")).byteArray(), RpcProtocolError);
  assert.throws(() => new RpcReader(hex("00000000000000")).ulong(), RpcProtocolError);
});

Deno.test("a count larger than the bytes left is refused before any allocation", () => {
  const reader = new RpcReader(hex("ffffff00" + "00".repeat(16)));
  assert.throws(() => reader.count(8, "attribute"), RpcProtocolError);
});

Deno.test("a CK_ULONG beyond 2^53 is refused when decoding requests", () => {
  assert.throws(() => new RpcReader(hex("ffffffffffffffff")).ulong(), RpcProtocolError);
  assert.equal(new RpcReader(hex("ffffffffffffffff")).ulongBig(), CK_UNAVAILABLE_INFORMATION);
});

Deno.test("trailing bytes are refused", () => {
  const reader = new RpcReader(hex("0000000100"));
  reader.uint32();
  assert.throws(() => reader.end(), RpcProtocolError);
});
