import assert from "node:assert/strict";
import { encodeFrame, FrameReader, MAX_FRAME_BYTES } from "../../src/policy/frame.ts";

Deno.test("frames split across arbitrary chunks are reassembled in order", () => {
  const bytes = new Uint8Array([
    ...encodeFrame({ id: 1, text: "é".repeat(3000) }),
    ...encodeFrame({ id: 2 }),
    ...encodeFrame([3]),
  ]);
  const reader = new FrameReader();
  const got: unknown[] = [];
  for (let at = 0; at < bytes.length; at += 7) got.push(...reader.push(bytes.subarray(at, at + 7)));
  assert.deepEqual(got, [{ id: 1, text: "é".repeat(3000) }, { id: 2 }, [3]]);
  assert.equal(reader.pending, 0);
});

Deno.test("an incomplete frame is held until its last byte arrives", () => {
  const frame = encodeFrame({ ok: true });
  const reader = new FrameReader();
  assert.deepEqual(reader.push(frame.subarray(0, frame.length - 1)), []);
  assert.equal(reader.pending, frame.length - 1);
  assert.deepEqual(reader.push(frame.subarray(frame.length - 1)), [{ ok: true }]);
});

Deno.test("a frame announcing more than the limit is refused before it is buffered", () => {
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, MAX_FRAME_BYTES + 1);
  assert.throws(() => new FrameReader().push(header), RangeError);
});

Deno.test("a frame whose body is not JSON is refused", () => {
  const body = new TextEncoder().encode("{nope");
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length);
  frame.set(body, 4);
  assert.throws(() => new FrameReader().push(frame), RangeError);
});

Deno.test("encoding a message larger than the limit throws", () => {
  assert.throws(() => encodeFrame({ big: "x".repeat(MAX_FRAME_BYTES) }), RangeError);
});
