/**
 * Bounds-checked reader and writer for p11-kit's RPC wire format (protocol version 0):
 * bytes, big-endian u32, CK_ULONG as 8-byte big-endian, byte arrays as `u32 length ‖
 * bytes` (0xffffffff = NULL), attributes whose value encoding depends on the attribute
 * type, and mechanisms whose parameters are encoded per mechanism (RSA-PSS and
 * RSA-OAEP structures, a plain byte array for every other one).
 *
 * Every read checks the remaining length before touching the buffer and every count is
 * checked against the bytes left before anything is allocated, so a hostile length or
 * count raises `RpcProtocolError` (the connection is then closed) and never allocates
 * more than the message itself. Decoded byte arrays are views into the message buffer.
 */

import { HsmError } from "../core/errors.ts";
import { CKA, CKM } from "./constants.ts";

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
/** `sizeof(CK_ULONG)` and `sizeof(CK_ATTRIBUTE)` of the 64-bit client. */
export const ULONG_SIZE = 8;
const ATTRIBUTE_STRUCT_SIZE = 24;

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

/** How an attribute's value is encoded, by attribute type (p11-kit's mapping). */
export type AttributeKind = "byte" | "ulong" | "bytes" | "date" | "mechanisms" | "attributes";

// deno-fmt-ignore
const BYTE_TYPES = new Set<number>([
  CKA.TOKEN, CKA.PRIVATE, CKA.TRUSTED, CKA.SENSITIVE, CKA.ENCRYPT, CKA.DECRYPT, CKA.WRAP,
  CKA.UNWRAP, CKA.SIGN, CKA.SIGN_RECOVER, CKA.VERIFY, CKA.VERIFY_RECOVER, CKA.DERIVE,
  CKA.EXTRACTABLE, CKA.LOCAL, CKA.NEVER_EXTRACTABLE, CKA.ALWAYS_SENSITIVE, CKA.MODIFIABLE,
  CKA.COPYABLE, 0x200 /* SECONDARY_AUTH */, CKA.ALWAYS_AUTHENTICATE, CKA.WRAP_WITH_TRUSTED,
  0x301 /* RESET_ON_INIT */, 0x302 /* HAS_RESET */, 0x405 /* COLOR */,
]);

// deno-fmt-ignore
const ULONG_TYPES = new Set<number>([
  CKA.CLASS, 0x80 /* CERTIFICATE_TYPE */, 0x87 /* CERTIFICATE_CATEGORY */,
  0x88 /* JAVA_MIDP_SECURITY_DOMAIN */, CKA.KEY_TYPE, CKA.MODULUS_BITS, 0x133 /* PRIME_BITS */,
  0x134 /* SUB_PRIME_BITS */, CKA.VALUE_BITS, CKA.VALUE_LEN, CKA.KEY_GEN_MECHANISM,
  0x201 /* AUTH_PIN_FLAGS */, 0x300 /* HW_FEATURE_TYPE */, 0x400 /* PIXEL_X */,
  0x401 /* PIXEL_Y */, 0x402 /* RESOLUTION */, 0x403 /* CHAR_ROWS */, 0x404 /* CHAR_COLUMNS */,
  0x406 /* BITS_PER_PIXEL */, 0x500 /* MECHANISM_TYPE */,
]);

/** The wire encoding of `type`'s value; unknown types are byte arrays, as in p11-kit. */
export function attributeKind(type: number): AttributeKind {
  if (BYTE_TYPES.has(type)) return "byte";
  if (ULONG_TYPES.has(type)) return "ulong";
  if (type === CKA.WRAP_TEMPLATE || type === CKA.UNWRAP_TEMPLATE) return "attributes";
  if (type === CKA.ALLOWED_MECHANISMS) return "mechanisms";
  if (type === CKA.START_DATE || type === CKA.END_DATE) return "date";
  return "bytes";
}

/** A decoded attribute value: byte and ulong kinds as numbers. */
export type AttributeValue = number | Uint8Array | readonly number[] | readonly Attribute[];

/** An attribute of a template; `value` undefined when the sender marked it unavailable. */
export interface Attribute {
  readonly type: number;
  readonly value?: AttributeValue;
}

/**
 * An attribute of a reply: with `value`, the value; with only `length`, a size answer
 * (the value is not sent); with neither, unavailable (sensitive, invalid or too small).
 */
export interface AttributeReply {
  readonly type: number;
  readonly value?: AttributeValue;
  readonly length?: number;
}

/** Reads one attribute (`u32 type ‖ validity ‖ [u32 length ‖ value]`); nesting ≤ `depth`. */
export function readAttribute(reader: RpcReader, depth = 1): Attribute {
  const type = reader.uint32();
  const validity = reader.byte();
  if (validity === 0) return { type };
  if (validity !== 1) throw new RpcProtocolError("Invalid attribute validity byte");
  const declared = reader.uint32();
  const kind = attributeKind(type);
  let value: AttributeValue;
  let decoded: number;
  switch (kind) {
    case "byte":
      value = reader.byte();
      decoded = 1;
      break;
    case "ulong":
      value = reader.ulong();
      decoded = ULONG_SIZE;
      break;
    case "mechanisms": {
      const n = reader.count(8, "mechanism");
      const list: number[] = [];
      for (let i = 0; i < n; i++) list.push(reader.ulong());
      value = list;
      decoded = n * ULONG_SIZE;
      break;
    }
    case "attributes": {
      if (depth <= 0) throw new RpcProtocolError("Nested attribute arrays are not supported");
      const n = reader.count(5, "attribute");
      const list: Attribute[] = [];
      for (let i = 0; i < n; i++) list.push(readAttribute(reader, depth - 1));
      value = list;
      decoded = n * ATTRIBUTE_STRUCT_SIZE;
      break;
    }
    case "date": {
      const bytes = reader.byteArray() ?? new Uint8Array(0);
      if (bytes.length !== 0 && bytes.length !== 8) throw new RpcProtocolError("Invalid date");
      value = bytes;
      decoded = bytes.length;
      break;
    }
    default: {
      const bytes = reader.byteArray() ?? new Uint8Array(0);
      value = bytes;
      decoded = bytes.length;
    }
  }
  if (decoded > declared) throw new RpcProtocolError("Attribute value longer than declared");
  return { type, value };
}

/** Writes one reply attribute in p11-kit's encoding. */
export function writeAttribute(writer: RpcWriter, attr: AttributeReply): void {
  writer.uint32(attr.type);
  if (attr.value === undefined && attr.length === undefined) {
    writer.byte(0);
    return;
  }
  writer.byte(1);
  const kind = attributeKind(attr.type);
  const value = attr.value;
  switch (kind) {
    case "byte":
      writer.uint32(1).byte(typeof value === "number" ? value : 0);
      return;
    case "ulong":
      writer.uint32(ULONG_SIZE).ulong(typeof value === "number" ? value : 0);
      return;
    case "mechanisms": {
      // Sent in full even for a size answer: the 0.24 client reads the elements either way.
      const list = Array.isArray(value) ? value as readonly number[] : [];
      writer.uint32(list.length * ULONG_SIZE).uint32(list.length);
      for (const m of list) writer.ulong(m);
      return;
    }
    case "attributes": {
      const list = Array.isArray(value) ? value as readonly Attribute[] : [];
      writer.uint32(list.length * ATTRIBUTE_STRUCT_SIZE).uint32(list.length);
      for (const item of list) writeAttribute(writer, item);
      return;
    }
    default: {
      const bytes = value instanceof Uint8Array ? value : undefined;
      if (bytes === undefined) {
        writer.uint32(attr.length ?? 0).byteArray(null);
      } else if (kind === "date" && bytes.length === 0) {
        writer.uint32(0).byteArray(null);
      } else {
        writer.uint32(bytes.length).byteArray(bytes);
      }
    }
  }
}

/** CK_RSA_PKCS_PSS_PARAMS. */
export interface PssParams {
  readonly kind: "pss";
  readonly hashAlg: number;
  readonly mgf: number;
  readonly saltLength: number;
}

/** CK_RSA_PKCS_OAEP_PARAMS; `sourceData` is the label (null when absent). */
export interface OaepParams {
  readonly kind: "oaep";
  readonly hashAlg: number;
  readonly mgf: number;
  readonly source: number;
  readonly sourceData: Uint8Array | null;
}

/** A mechanism and its parameters (raw bytes for mechanisms without a structure). */
export interface Mechanism {
  readonly type: number;
  readonly params: PssParams | OaepParams | Uint8Array | null;
}

const PSS_MECHANISMS = new Set<number>([
  CKM.RSA_PKCS_PSS,
  CKM.SHA256_RSA_PKCS_PSS,
  CKM.SHA384_RSA_PKCS_PSS,
  CKM.SHA512_RSA_PKCS_PSS,
]);

/** Reads `u32 type ‖ parameters`. */
export function readMechanism(reader: RpcReader): Mechanism {
  const type = reader.uint32();
  if (PSS_MECHANISMS.has(type)) {
    return {
      type,
      params: {
        kind: "pss",
        hashAlg: reader.ulong(),
        mgf: reader.ulong(),
        saltLength: reader.ulong(),
      },
    };
  }
  if (type === CKM.RSA_PKCS_OAEP) {
    return {
      type,
      params: {
        kind: "oaep",
        hashAlg: reader.ulong(),
        mgf: reader.ulong(),
        source: reader.ulong(),
        sourceData: reader.byteArray(),
      },
    };
  }
  return { type, params: reader.byteArray() };
}

/** Writes a mechanism as the client does (used by test and benchmark clients). */
export function writeMechanism(writer: RpcWriter, mechanism: Mechanism): void {
  writer.uint32(mechanism.type);
  const p = mechanism.params;
  if (p === null || p instanceof Uint8Array) {
    writer.byteArray(p);
  } else if (p.kind === "pss") {
    writer.ulong(p.hashAlg).ulong(p.mgf).ulong(p.saltLength);
  } else {
    writer.ulong(p.hashAlg).ulong(p.mgf).ulong(p.source).byteArray(p.sourceData);
  }
}
