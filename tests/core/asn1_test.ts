import assert from "node:assert/strict";
import {
  decodeDer,
  decodeSequence,
  DER_TAG,
  encodeBitString,
  encodeDer,
  encodeUnsignedInteger,
  readBitStringBytes,
  readDer,
  readSmallInteger,
  readUnsignedInteger,
} from "../../src/core/asn1.ts";

Deno.test("encodeDer picks the shortest length form at every boundary", () => {
  for (
    const [length, header] of [
      [0, [0x04, 0x00]],
      [127, [0x04, 0x7f]],
      [128, [0x04, 0x81, 0x80]],
      [255, [0x04, 0x81, 0xff]],
      [256, [0x04, 0x82, 0x01, 0x00]],
      [70000, [0x04, 0x83, 0x01, 0x11, 0x70]],
    ] as const
  ) {
    const der = encodeDer(DER_TAG.octetString, new Uint8Array(length));
    assert.deepEqual([...der.subarray(0, header.length)], [...header]);
    assert.equal(decodeDer(der)?.contents.length, length);
  }
});

Deno.test("readDer returns a view and the offset after the element", () => {
  const input = new Uint8Array([0x05, 0x00, 0x04, 0x02, 0xaa, 0xbb, 0x99]);
  const read = readDer(input, 2);
  assert.equal(read?.end, 6);
  assert.deepEqual([...(read?.element.contents ?? [])], [0xaa, 0xbb]);
  assert.equal(decodeDer(input), undefined); // trailing bytes
});

Deno.test("integers encode minimally and decode back to their magnitude", () => {
  assert.deepEqual([...encodeUnsignedInteger(new Uint8Array([0, 0, 1]))], [0x02, 0x01, 0x01]);
  assert.deepEqual([...encodeUnsignedInteger(new Uint8Array([0x80]))], [0x02, 0x02, 0x00, 0x80]);
  assert.deepEqual([...encodeUnsignedInteger(new Uint8Array(0))], [0x02, 0x01, 0x00]);
  assert.deepEqual(
    readUnsignedInteger(decodeDer(encodeUnsignedInteger(new Uint8Array([0x80])))),
    new Uint8Array([0x80]),
  );
  assert.equal(readSmallInteger(decodeDer(new Uint8Array([0x02, 0x02, 0x01, 0x00]))), 256);
  assert.equal(readSmallInteger(decodeDer(new Uint8Array([0x02, 0x01, 0xff]))), undefined);
  assert.equal(readSmallInteger(decodeDer(new Uint8Array([0x04, 0x01, 0x01]))), undefined);
});

Deno.test("bit strings with unused bits are refused", () => {
  assert.deepEqual(
    readBitStringBytes(decodeDer(encodeBitString(new Uint8Array([1, 2])))),
    new Uint8Array([1, 2]),
  );
  assert.equal(readBitStringBytes(decodeDer(new Uint8Array([0x03, 0x02, 0x01, 0x02]))), undefined);
  assert.equal(readBitStringBytes(decodeDer(new Uint8Array([0x03, 0x00]))), undefined);
});

Deno.test("decodeSequence refuses a sequence whose children do not fill it", () => {
  assert.deepEqual(decodeSequence(new Uint8Array([0x30, 0x02, 0x05, 0x00]))?.length, 1);
  assert.equal(decodeSequence(new Uint8Array([0x30, 0x03, 0x05, 0x00, 0x05])), undefined);
  assert.equal(decodeSequence(new Uint8Array([0x31, 0x02, 0x05, 0x00])), undefined);
});
