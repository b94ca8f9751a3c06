/**
 * A minimal client of p11-kit's RPC protocol over a unix socket, speaking as Debian
 * 12's `p11-kit-client.so` does (version byte 0, options `client`, one call at a time).
 * For tests and the benchmark, not for applications (they load p11-kit's module).
 * Replies are decoded by the call's response signature; an error reply yields its CKR.
 */

import { CKR } from "./constants.ts";
import { RPC_HANDSHAKE } from "./calls_token.ts";
import { callByName, signatureCodes } from "./rpc_calls.ts";
import { RpcProtocolError, RpcReader } from "./rpc_codec.ts";
import { type Attribute, readAttribute } from "./rpc_values.ts";
import { encodeRequest, type LengthOnly, type RpcValue } from "./rpc_message.ts";

/** A decoded reply value. */
export type ReplyValue =
  | number
  | bigint
  | Uint8Array
  | LengthOnly
  | number[]
  | Attribute[]
  | { major: number; minor: number };

/** A reply: `rv` 0 with the values, or the CKR of an error reply. */
export interface RpcReply {
  readonly rv: number;
  readonly values: ReplyValue[];
}

const ENCODER = new TextEncoder();

function readReplyValue(reader: RpcReader, code: string): ReplyValue {
  switch (code) {
    case "y":
      return reader.byte();
    case "u": {
      const big = reader.ulongBig();
      return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    case "s":
      return reader.byteArray() ?? new Uint8Array(0);
    case "v":
      return { major: reader.byte(), minor: reader.byte() };
    case "ay": {
      if (reader.byte() === 0) return { lengthOnly: reader.uint32() };
      return reader.byteArray() ?? new Uint8Array(0);
    }
    case "au": {
      const present = reader.byte();
      const n = reader.uint32();
      if (present === 0) return { lengthOnly: n };
      const list: number[] = [];
      for (let i = 0; i < n; i++) list.push(reader.ulong());
      return list;
    }
    case "aA": {
      const n = reader.count(5, "attribute");
      const list: Attribute[] = [];
      for (let i = 0; i < n; i++) list.push(readAttribute(reader));
      return list;
    }
    default:
      throw new TypeError(`Signature code ${code} cannot appear in a reply`);
  }
}

/** Decodes a reply body of call `name`. @throws RpcProtocolError when malformed */
export function decodeReply(name: string, body: Uint8Array): RpcReply {
  const call = callByName(name);
  const reader = new RpcReader(body);
  const id = reader.uint32();
  const signature = new TextDecoder().decode(reader.byteArray() ?? new Uint8Array(0));
  if (id === 0 && signature === "u") {
    const rv = reader.ulong();
    if (rv === CKR.OK) throw new RpcProtocolError("Error reply with CKR_OK");
    return { rv, values: [] };
  }
  if (id !== call.id || signature !== call.response) {
    throw new RpcProtocolError("Reply does not match the call");
  }
  const values = signatureCodes(call.response).map((code) => readReplyValue(reader, code));
  reader.end();
  return { rv: CKR.OK, values };
}

/** One connection to a PKCS#11 socket. */
export class RpcClient {
  readonly #conn: Deno.UnixConn;
  #code = 0x10;

  private constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
  }

  /** Connects and exchanges the version byte (sends 0, expects 0). */
  static async connect(path: string): Promise<RpcClient> {
    const conn = await Deno.connect({ transport: "unix", path });
    const client = new RpcClient(conn);
    try {
      await client.#write(Uint8Array.of(0));
      const version = await client.#read(1);
      if (version?.[0] !== 0) throw new RpcProtocolError("Unexpected protocol version");
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  /** Sends a raw body; resolves with the reply body, or undefined when the server hung up. */
  async send(body: Uint8Array): Promise<Uint8Array | undefined> {
    const frame = new Uint8Array(12 + 6 + body.length);
    const view = new DataView(frame.buffer);
    view.setUint32(0, this.#code++);
    view.setUint32(4, 6);
    view.setUint32(8, body.length);
    frame.set(ENCODER.encode("client"), 12);
    frame.set(body, 18);
    try {
      await this.#write(frame);
    } catch {
      return undefined;
    }
    const header = await this.#read(12).catch(() => undefined);
    if (header === undefined) return undefined;
    const h = new DataView(header.buffer);
    await this.#read(h.getUint32(4));
    return await this.#read(h.getUint32(8));
  }

  /** Calls `name` with request `values`. @throws RpcProtocolError when the server hung up */
  async call(name: string, values: readonly RpcValue[]): Promise<RpcReply> {
    const reply = await this.send(encodeRequest(callByName(name), values));
    if (reply === undefined) throw new RpcProtocolError("Connection closed");
    return decodeReply(name, reply);
  }

  /** C_Initialize with the protocol's handshake string. */
  initialize(): Promise<RpcReply> {
    return this.call("C_Initialize", [
      { bytes: ENCODER.encode(RPC_HANDSHAKE), length: RPC_HANDSHAKE.length },
      0,
      { bytes: Uint8Array.of(0), length: 1 },
    ]);
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }

  async #write(data: Uint8Array): Promise<void> {
    let at = 0;
    while (at < data.length) at += await this.#conn.write(data.subarray(at));
  }

  async #read(n: number): Promise<Uint8Array | undefined> {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const got = await this.#conn.read(out.subarray(at));
      if (got === null) return undefined;
      at += got;
    }
    return out;
  }
}
