/**
 * Bounds-checked reader and writer for p11-kit's RPC wire format (protocol version 0):
 * bytes, big-endian u32, CK_ULONG as 8-byte big-endian, byte arrays as `u32 length ‖
 * bytes` (0xffffffff = NULL). Attributes and mechanisms are in `rpc_values.ts`.
 *
 * Every read checks the remaining length before touching the buffer and every count is
 * checked against the bytes left before anything is allocated, so a hostile length or
 * count raises `RpcProtocolError` (the connection is then closed) and never allocates
 * more than the message itself. Decoded byte arrays are views into the message buffer.
 */

import { HsmError } from "../domain/errors.ts";

/** A malformed RPC message; the socket server closes the connection that sent it. */
export class RpcProtocolError extends HsmError {
  constructor(message: string) {
    super("invalid_request", message);
    this.name = "RpcProtocolError";
  }
}

/** The NULL marker of a byte array on the wire. */
const NULL_LENGTH = 0xffff_ffff;
/** Byte arrays at or above this length are refused (as p11-kit does). */
const MAX_ARRAY_LENGTH = 0x7fff_ffff;
/** `sizeof(CK_ULONG)` of the 64-bit client. */
export const ULONG_SIZE = 8;
/** `sizeof(CK_ATTRIBUTE)` of the 64-bit client. */
export const ATTRIBUTE_STRUCT_SIZE = 24;

/** Reads values from one message, refusing to read past its end. */
export class RpcReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  #need(n: number, what: string): void {
    if (n > this.remaining) throw new RpcProtocolError(`Truncated message: cannot read ${what}`);
  }

  /** One byte. */
  byte(): number {
    this.#need(1, "a byte");
    return this.#bytes[this.#offset++] as number;
  }

  /** A big-endian u32. */
  uint32(): number {
    this.#need(4, "a u32");
    const value = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return value;
  }

  /** A CK_ULONG (8 bytes big-endian); values above 2^53 - 1 are refused. */
  ulong(): number {
    this.#need(8, "a CK_ULONG");
    const high = this.#view.getUint32(this.#offset);
    const low = this.#view.getUint32(this.#offset + 4);
    this.#offset += 8;
    if (high > 0x1f_ffff) throw new RpcProtocolError("Unsupported CK_ULONG: too large");
    return high * 0x1_0000_0000 + low;
  }

  /** A CK_ULONG of any size (clients decoding replies such as CK_UNAVAILABLE_INFORMATION). */
  ulongBig(): bigint {
    this.#need(8, "a CK_ULONG");
    const value = this.#view.getBigUint64(this.#offset);
    this.#offset += 8;
    return value;
  }

  /** `u32 length ‖ bytes`; null for the NULL marker. The result views the message. */
  byteArray(): Uint8Array | null {
    const length = this.uint32();
    if (length === NULL_LENGTH) return null;
    if (length >= MAX_ARRAY_LENGTH) throw new RpcProtocolError("Byte array too long");
    this.#need(length, "a byte array");
    const out = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }

  /** Checks that a count of items of at least `minItemSize` bytes each can be present. */
  count(minItemSize: number, what: string): number {
    const n = this.uint32();
    if (n * minItemSize > this.remaining) {
      throw new RpcProtocolError(`Invalid ${what} count: exceeds the message`);
    }
    return n;
  }

  /** @throws RpcProtocolError when bytes are left over */
  end(): void {
    if (this.remaining !== 0) throw new RpcProtocolError("Trailing bytes after the arguments");
  }
}

/** Builds one message. */
export class RpcWriter {
  #chunks: Uint8Array[] = [];
  #current = new Uint8Array(256);
  #at = 0;
  #total = 0;

  #room(n: number): void {
    if (this.#current.length - this.#at >= n) return;
    this.#chunks.push(this.#current.subarray(0, this.#at));
    this.#current = new Uint8Array(Math.max(n, 4096));
    this.#at = 0;
  }

  /** One byte (0–255). */
  byte(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new RangeError("Not a byte");
    this.#room(1);
    this.#current[this.#at++] = value;
    this.#total += 1;
    return this;
  }

  /** A big-endian u32. */
  uint32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
      throw new RangeError("Not a u32");
    }
    this.#room(4);
    new DataView(this.#current.buffer).setUint32(this.#at, value);
    this.#at += 4;
    this.#total += 4;
    return this;
  }

  /** A CK_ULONG as 8 bytes big-endian (a bigint for values beyond 2^53, e.g. ~0). */
  ulong(value: number | bigint): this {
    const big = BigInt(value);
    if (big < 0n || big > 0xffff_ffff_ffff_ffffn) throw new RangeError("Not a CK_ULONG");
    return this.uint32(Number(big >> 32n)).uint32(Number(big & 0xffff_ffffn));
  }

  /** `u32 length ‖ bytes`, or the NULL marker for null. */
  byteArray(value: Uint8Array | null): this {
    if (value === null) return this.uint32(NULL_LENGTH);
    if (value.length >= MAX_ARRAY_LENGTH) throw new RangeError("Byte array too long");
    this.uint32(value.length);
    this.#room(value.length);
    this.#current.set(value, this.#at);
    this.#at += value.length;
    this.#total += value.length;
    return this;
  }

  /** The message so far, as one buffer. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.#total);
    let at = 0;
    for (const chunk of [...this.#chunks, this.#current.subarray(0, this.#at)]) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}
