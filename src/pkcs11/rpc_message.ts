/**
 * Message bodies of p11-kit's RPC protocol, driven by the signatures of `rpc_calls.ts`:
 * a body is `u32 call_id ‖ signature (byte array) ‖ arguments`. The server side decodes
 * requests into typed `RpcArgs` and encodes responses and error replies (call id 0,
 * signature `u`, the CKR value); the client side (tests, benchmark) does the reverse.
 * Decoding is strict: an unknown call id, a signature that is not the call's, a
 * truncated or over-long body raise `RpcProtocolError`.
 */

import { callById, RPC_CALLS, type RpcCall, signatureCodes } from "./rpc_calls.ts";
import { RpcProtocolError, RpcReader, RpcWriter } from "./rpc_codec.ts";
import {
  type Attribute,
  type AttributeReply,
  type Mechanism,
  readAttribute,
  readMechanism,
  writeAttribute,
  writeMechanism,
} from "./rpc_values.ts";

/** An `ay` argument: the bytes, or null when the caller passed NULL (with a length). */
export interface ByteArg {
  readonly bytes: Uint8Array | null;
  readonly length: number;
}

/** One entry of an `fA` argument: the attribute and the room the caller has for it. */
export interface AttributeRequest {
  readonly type: number;
  readonly length: number;
}

/** A decoded request argument. */
export type RpcArg = number | Uint8Array | ByteArg | Mechanism | Attribute[] | AttributeRequest[];

/** An array-valued response whose data is not sent: only its length (size query, too small). */
export interface LengthOnly {
  readonly lengthOnly: number;
}

/** A response value, by signature code (see `encodeValues`). */
export type RpcValue =
  | number
  | bigint
  | Uint8Array
  | LengthOnly
  | readonly number[]
  | readonly AttributeReply[]
  | { readonly major: number; readonly minor: number }
  | readonly Attribute[]
  | Mechanism
  | ByteArg;

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

/** Positional arguments of a request with checked accessors. */
export class RpcArgs {
  readonly #values: readonly RpcArg[];

  constructor(values: readonly RpcArg[]) {
    this.#values = values;
  }

  #at(i: number): RpcArg {
    if (i < 0 || i >= this.#values.length) throw new RangeError(`No argument ${i}`);
    return this.#values[i] as RpcArg;
  }

  /** A `u`, `y`, `fy` or `fu` argument. */
  ulong(i: number): number {
    const v = this.#at(i);
    if (typeof v !== "number") throw new TypeError(`Argument ${i} is not a number`);
    return v;
  }

  /** An `ay` argument. */
  bytes(i: number): ByteArg {
    const v = this.#at(i);
    if (typeof v !== "object" || v === null || !("length" in v) || !("bytes" in v)) {
      throw new TypeError(`Argument ${i} is not a byte array`);
    }
    return v;
  }

  /** An `aA` argument. */
  attributes(i: number): Attribute[] {
    const v = this.#at(i);
    if (!Array.isArray(v)) throw new TypeError(`Argument ${i} is not an attribute array`);
    return v as Attribute[];
  }

  /** An `fA` argument. */
  attributeRequests(i: number): AttributeRequest[] {
    const v = this.#at(i);
    if (!Array.isArray(v)) throw new TypeError(`Argument ${i} is not an attribute buffer`);
    return v as AttributeRequest[];
  }

  /** An `M` argument. */
  mechanism(i: number): Mechanism {
    const v = this.#at(i);
    if (typeof v !== "object" || v === null || !("params" in v)) {
      throw new TypeError(`Argument ${i} is not a mechanism`);
    }
    return v;
  }
}

/** A decoded request. */
export interface RpcRequest {
  readonly call: RpcCall;
  readonly args: RpcArgs;
}

function readSignature(reader: RpcReader, expected: string): void {
  const sig = reader.byteArray();
  if (sig === null || DECODER.decode(sig) !== expected) {
    throw new RpcProtocolError("Signature does not match the call");
  }
}

function readArg(reader: RpcReader, code: string): RpcArg {
  switch (code) {
    case "y":
      return reader.byte();
    case "u":
      return reader.ulong();
    case "fy":
    case "fu":
      return reader.uint32();
    case "z":
      return reader.byteArray() ?? new Uint8Array(0);
    case "M":
      return readMechanism(reader);
    case "ay": {
      const present = reader.byte();
      if (present === 0) return { bytes: null, length: reader.uint32() };
      if (present !== 1) throw new RpcProtocolError("Invalid byte array presence byte");
      const bytes = reader.byteArray();
      return { bytes, length: bytes?.length ?? 0 };
    }
    case "aA": {
      const n = reader.count(5, "attribute");
      const list: Attribute[] = [];
      for (let i = 0; i < n; i++) list.push(readAttribute(reader));
      return list;
    }
    case "fA": {
      const n = reader.count(8, "attribute");
      const list: AttributeRequest[] = [];
      for (let i = 0; i < n; i++) list.push({ type: reader.uint32(), length: reader.uint32() });
      return list;
    }
    default:
      throw new TypeError(`Signature code ${code} cannot appear in a request`);
  }
}

/**
 * Decodes a request body.
 * @throws RpcProtocolError for an unknown call, a wrong signature or malformed arguments
 */
export function decodeRequest(body: Uint8Array): RpcRequest {
  const reader = new RpcReader(body);
  const call = callById(reader.uint32());
  if (call === undefined || call.request === null) throw new RpcProtocolError("Unknown call id");
  readSignature(reader, call.request);
  const values = signatureCodes(call.request).map((code) => readArg(reader, code));
  reader.end();
  return { call, args: new RpcArgs(values) };
}

function isLengthOnly(v: unknown): v is LengthOnly {
  return typeof v === "object" && v !== null && "lengthOnly" in v;
}

/** Writes `values` by the codes of `signature` (both directions share the encodings). */
export function encodeValues(
  writer: RpcWriter,
  signature: string,
  values: readonly RpcValue[],
): void {
  const codes = signatureCodes(signature);
  if (codes.length !== values.length) {
    throw new RangeError(`Expected ${codes.length} values for "${signature}"`);
  }
  codes.forEach((code, i) => {
    const v = values[i];
    switch (code) {
      case "y":
        writer.byte(v as number);
        break;
      case "u":
        writer.ulong(v as number | bigint);
        break;
      case "fy":
      case "fu":
        writer.uint32(v as number);
        break;
      case "s":
        writer.byteArray(v as Uint8Array);
        break;
      case "z":
        writer.byteArray(typeof v === "string" ? ENCODER.encode(v) : v as Uint8Array);
        break;
      case "v": {
        const version = v as { major: number; minor: number };
        writer.byte(version.major).byte(version.minor);
        break;
      }
      case "M":
        writeMechanism(writer, v as Mechanism);
        break;
      case "ay":
        if (isLengthOnly(v)) writer.byte(0).uint32(v.lengthOnly);
        else if (v instanceof Uint8Array) writer.byte(1).byteArray(v);
        else {
          const arg = v as ByteArg;
          if (arg.bytes === null) writer.byte(0).uint32(arg.length);
          else writer.byte(1).byteArray(arg.bytes);
        }
        break;
      case "au":
        if (isLengthOnly(v)) writer.byte(0).uint32(v.lengthOnly);
        else {
          const list = v as readonly number[];
          writer.byte(1).uint32(list.length);
          for (const n of list) writer.ulong(n);
        }
        break;
      case "aA":
        writer.uint32((v as readonly AttributeReply[]).length);
        for (const attr of v as readonly AttributeReply[]) writeAttribute(writer, attr);
        break;
      case "fA": {
        const list = v as readonly AttributeRequest[];
        writer.uint32(list.length);
        for (const r of list) writer.uint32(r.type).uint32(r.length);
        break;
      }
      default:
        throw new TypeError(`Unknown signature code ${code}`);
    }
  });
}

function body(call: RpcCall, signature: string, values: readonly RpcValue[]): Uint8Array {
  const writer = new RpcWriter().uint32(call.id).byteArray(ENCODER.encode(signature));
  encodeValues(writer, signature, values);
  return writer.finish();
}

/** Encodes the response of `call` (values in the order of its response signature). */
export function encodeResponse(call: RpcCall, values: readonly RpcValue[]): Uint8Array {
  return body(call, call.response, values);
}

/** Encodes an error reply: call id 0, signature `u`, the CKR value. */
export function encodeError(rv: number): Uint8Array {
  return body(RPC_CALLS[0] as RpcCall, "u", [rv]);
}

/** Encodes a request as the client does (for test and benchmark clients). */
export function encodeRequest(call: RpcCall, values: readonly RpcValue[]): Uint8Array {
  if (call.request === null) throw new RangeError("The error pseudo-call has no request");
  return body(call, call.request, values);
}
