/**
 * Test doubles for the PKCS#11 layer: a fake token backend (fixed keys, PIN "good",
 * deterministic "signatures") and a harness that runs calls through the real
 * dispatcher without a socket.
 */

import { CKA, CKR } from "../../src/pkcs11/constants.ts";
import { Pkcs11Dispatcher } from "../../src/pkcs11/dispatcher.ts";
import { decodeReply, type RpcReply } from "../../src/pkcs11/rpc_client.ts";
import { callByName } from "../../src/pkcs11/rpc_calls.ts";
import { encodeRequest, type RpcValue } from "../../src/pkcs11/rpc_message.ts";
import {
  type ClientLimits,
  ClientState,
  DEFAULT_CLIENT_LIMITS,
} from "../../src/pkcs11/sessions.ts";
import { RPC_HANDSHAKE } from "../../src/pkcs11/calls_token.ts";
import {
  type NewKey,
  Pkcs11Error,
  type SignInput,
  type TokenBackend,
  type TokenCredential,
  type TokenKey,
  type TokenPublicKey,
} from "../../src/pkcs11/token_backend.ts";

/** Keys of the fake token. */
export const FAKE_KEYS: readonly TokenKey[] = [
  {
    id: "ec-1",
    name: "signer",
    algorithm: "EC-P256",
    usage: ["sign", "verify"],
    state: "active",
    currentVersion: 1,
  },
  {
    id: "rsa-1",
    name: "rsa",
    algorithm: "RSA-2048",
    usage: ["sign", "verify", "encrypt", "decrypt"],
    state: "active",
    currentVersion: 2,
  },
  {
    id: "hmac-1",
    name: "mac",
    algorithm: "HMAC-SHA256",
    usage: ["mac"],
    state: "active",
    currentVersion: 1,
  },
  {
    id: "aes-1",
    name: "aes",
    algorithm: "AES-256-GCM",
    usage: ["encrypt", "decrypt"],
    state: "active",
    currentVersion: 1,
  },
  {
    id: "ed-1",
    name: "edwards",
    algorithm: "Ed25519",
    usage: ["sign", "verify"],
    state: "active",
    currentVersion: 1,
  },
  {
    id: "old-1",
    name: "gone",
    algorithm: "EC-P256",
    usage: ["sign", "verify"],
    state: "destroyed",
    currentVersion: 1,
  },
]; // deno-fmt-ignore

/** One call the fake received. */
export interface FakeCall {
  readonly method: string;
  readonly keyId?: string;
  readonly input?: SignInput;
}

/** A fake backend; `expire()` makes every later call answer CKR_USER_NOT_LOGGED_IN. */
export class FakeBackend implements TokenBackend {
  readonly calls: FakeCall[] = [];
  keys: TokenKey[] = [...FAKE_KEYS];
  #expired = false;
  renewable = false;

  expire(): void {
    this.#expired = true;
  }

  #check(): void {
    if (this.#expired) throw new Pkcs11Error(CKR.USER_NOT_LOGGED_IN);
  }

  login(pin: Uint8Array): Promise<TokenCredential> {
    if (new TextDecoder().decode(pin) !== "good") throw new Pkcs11Error(CKR.PIN_INCORRECT);
    return Promise.resolve({ subject: "alice", renewable: this.renewable });
  }

  listKeys(): Promise<TokenKey[]> {
    this.#check();
    this.calls.push({ method: "listKeys" });
    return Promise.resolve(this.keys);
  }

  publicKey(_c: TokenCredential, key: TokenKey): Promise<TokenPublicKey> {
    this.#check();
    this.calls.push({ method: "publicKey", keyId: key.id });
    if (key.algorithm === "RSA-2048") {
      return Promise.resolve({
        spki: Uint8Array.of(0x30, 1),
        modulus: new Uint8Array(256).fill(0xab),
        publicExponent: Uint8Array.of(1, 0, 1),
      });
    }
    return Promise.resolve({ spki: Uint8Array.of(0x30, 2), ecPoint: new Uint8Array(65).fill(4) });
  }

  sign(_c: TokenCredential, keyId: string, input: SignInput): Promise<Uint8Array> {
    this.#check();
    this.calls.push({ method: "sign", keyId, input: { ...input, data: input.data.slice() } });
    const length = keyId === "rsa-1" ? 256 : keyId === "hmac-1" ? 32 : 64;
    return Promise.resolve(new Uint8Array(length).fill(7));
  }

  verify(_c: TokenCredential, keyId: string, input: SignInput, sig: Uint8Array): Promise<boolean> {
    this.#check();
    this.calls.push({ method: "verify", keyId, input: { ...input, data: input.data.slice() } });
    return Promise.resolve(sig.every((b) => b === 7));
  }

  encrypt(_c: TokenCredential, keyId: string, plaintext: Uint8Array): Promise<Uint8Array> {
    this.#check();
    this.calls.push({ method: "encrypt", keyId });
    return Promise.resolve(new Uint8Array(256).fill(plaintext.length));
  }

  decrypt(_c: TokenCredential, keyId: string): Promise<Uint8Array> {
    this.#check();
    this.calls.push({ method: "decrypt", keyId });
    return Promise.resolve(new TextEncoder().encode("plaintext"));
  }

  createKey(_c: TokenCredential, key: NewKey): Promise<TokenKey> {
    this.#check();
    this.calls.push({ method: "createKey" });
    const created: TokenKey = {
      id: `new-${this.keys.length}`,
      ...key,
      state: "active",
      currentVersion: 1,
    };
    this.keys.push(created);
    return Promise.resolve(created);
  }

  requestDestroy(_c: TokenCredential, keyId: string): Promise<string> {
    this.#check();
    this.calls.push({ method: "requestDestroy", keyId });
    return Promise.resolve("approval-1");
  }
}

/** Runs calls through the dispatcher as the client would, without a socket. */
export class Harness {
  readonly backend: FakeBackend;
  readonly state: ClientState;
  readonly dispatcher: Pkcs11Dispatcher;

  constructor(backend = new FakeBackend(), limits: ClientLimits = DEFAULT_CLIENT_LIMITS) {
    this.backend = backend;
    this.state = new ClientState(limits);
    this.dispatcher = new Pkcs11Dispatcher(backend, { serial: "0123456789abcdef" });
  }

  async call(name: string, values: readonly RpcValue[]): Promise<RpcReply> {
    const body = encodeRequest(callByName(name), values);
    return decodeReply(name, await this.dispatcher.handle(this.state, body));
  }

  /** C_Initialize, C_OpenSession (read/write) and, unless `pin` is null, C_Login. */
  async open(pin: string | null = "good"): Promise<number> {
    const enc = new TextEncoder();
    await this.call("C_Initialize", [
      { bytes: enc.encode(RPC_HANDSHAKE), length: RPC_HANDSHAKE.length },
      0,
      { bytes: Uint8Array.of(0), length: 1 },
    ]);
    const opened = await this.call("C_OpenSession", [1, 0x6]);
    const session = opened.values[0] as number;
    if (pin !== null) {
      const reply = await this.call("C_Login", [session, 1, bytes(pin)]);
      if (reply.rv !== 0) throw new Error(`login failed: ${reply.rv}`);
    }
    return session;
  }

  /** The handle of the object of class `cls` of the key named `name`. */
  async handleOf(session: number, name: string, cls: number): Promise<number> {
    const [handle] = await this.find(session, [
      { type: CKA.CLASS, value: cls },
      { type: CKA.LABEL, value: new TextEncoder().encode(name) },
    ]);
    if (handle === undefined) throw new Error(`no ${name} object of class ${cls}`);
    return handle;
  }

  /** The handles C_FindObjects returns for `template`. */
  async find(
    session: number,
    template: readonly { type: number; value?: unknown }[],
  ): Promise<number[]> {
    await this.call("C_FindObjectsInit", [session, template as never]);
    const found = await this.call("C_FindObjects", [session, 100]);
    await this.call("C_FindObjectsFinal", [session]);
    return found.values[0] as number[];
  }
}

/** An `ay` request argument. */
export function bytes(value: string | Uint8Array): { bytes: Uint8Array; length: number } {
  const b = typeof value === "string" ? new TextEncoder().encode(value) : value;
  return { bytes: b, length: b.length };
}

/** Hex → bytes. */
export function hex(text: string): Uint8Array {
  return Uint8Array.from(text.replace(/\s+/g, "").match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** Bytes → hex. */
export function toHexString(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
