/**
 * Length-prefixed JSON frames for the pipe between the server and its sandbox children:
 * a 4-byte big-endian length, then that many bytes of UTF-8 JSON. A frame larger than
 * `MAX_FRAME_BYTES` is a protocol violation (the parent kills a child that sends one),
 * so neither side can be made to buffer without bound.
 */

/** The largest frame either side accepts (a 64 KiB script plus a context fit easily). */
export const MAX_FRAME_BYTES = 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * One frame holding `message` as JSON.
 * @throws RangeError when the encoded message exceeds MAX_FRAME_BYTES
 */
export function encodeFrame(message: unknown): Uint8Array {
  const json = encoder.encode(JSON.stringify(message));
  if (json.length > MAX_FRAME_BYTES) {
    throw new RangeError(
      `Cannot send a frame of ${json.length} bytes: limit is ${MAX_FRAME_BYTES}`,
    );
  }
  const frame = new Uint8Array(4 + json.length);
  new DataView(frame.buffer).setUint32(0, json.length);
  frame.set(json, 4);
  return frame;
}

/** Reassembles frames from a byte stream delivered in arbitrary chunks. */
export class FrameReader {
  #buffer = new Uint8Array(4096);
  #start = 0;
  #end = 0;

  /**
   * Adds bytes from the stream; returns the messages completed by them, in order.
   * @throws RangeError when a frame announces more than MAX_FRAME_BYTES or is not JSON
   */
  push(chunk: Uint8Array): unknown[] {
    this.#append(chunk);
    const messages: unknown[] = [];
    while (this.#end - this.#start >= 4) {
      const view = new DataView(this.#buffer.buffer, this.#start, 4);
      const length = view.getUint32(0);
      if (length > MAX_FRAME_BYTES) {
        throw new RangeError(`Cannot read a frame of ${length} bytes: limit is ${MAX_FRAME_BYTES}`);
      }
      if (this.#end - this.#start - 4 < length) break;
      const body = this.#buffer.subarray(this.#start + 4, this.#start + 4 + length);
      this.#start += 4 + length;
      try {
        messages.push(JSON.parse(decoder.decode(body)));
      } catch {
        throw new RangeError("Cannot read a frame: not UTF-8 JSON");
      }
    }
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return messages;
  }

  /** Bytes held for an incomplete frame. */
  get pending(): number {
    return this.#end - this.#start;
  }

  #append(chunk: Uint8Array): void {
    const held = this.#end - this.#start;
    if (this.#end + chunk.length > this.#buffer.length) {
      const needed = held + chunk.length;
      if (needed > this.#buffer.length) {
        let size = this.#buffer.length;
        while (size < needed) size *= 2;
        const bigger = new Uint8Array(size);
        bigger.set(this.#buffer.subarray(this.#start, this.#end));
        this.#buffer = bigger;
      } else {
        this.#buffer.copyWithin(0, this.#start, this.#end);
      }
      this.#start = 0;
      this.#end = held;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }
}
