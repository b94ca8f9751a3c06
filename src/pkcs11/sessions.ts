/**
 * The state of one client connection (one PKCS#11 application): initialization, the
 * login shared by all its sessions, the sessions with their find cursors and active
 * operations, and the object handle table. Bounded: sessions, object handles and bytes
 * buffered by multi-part operations have per-connection limits, so a client cannot
 * grow server memory without bound. Buffered data and computed results waiting for a
 * larger buffer are wiped when an operation ends or the connection goes away.
 */

import { wipe } from "../core/zeroize.ts";
import { CKR } from "./constants.ts";
import type { MechanismSpec } from "./mechanisms.ts";
import type { KeyClass } from "./objects.ts";
import {
  Pkcs11Error,
  type TokenCredential,
  type TokenKey,
  type TokenPublicKey,
} from "./token_backend.ts";
import type { HashName } from "../domain/algorithms.ts";

/** Per-connection limits. */
export interface ClientLimits {
  readonly maxSessions: number;
  readonly maxObjects: number;
  /** Bytes all multi-part operations of the connection may buffer together. */
  readonly maxBufferedBytes: number;
}

/** Defaults: 64 sessions, 100 000 object handles, 1 MiB of multi-part data. */
export const DEFAULT_CLIENT_LIMITS: ClientLimits = Object.freeze({
  maxSessions: 64,
  maxObjects: 100_000,
  maxBufferedBytes: 1024 * 1024,
});

/** An object as a handle names it. */
export interface ObjectRef {
  readonly handle: number;
  readonly keyId: string;
  readonly cls: KeyClass;
}

/** A sign, verify, encrypt or decrypt operation between its Init and its last call. */
export interface ActiveOperation {
  readonly kind: "sign" | "verify" | "encrypt" | "decrypt";
  readonly spec: MechanismSpec;
  readonly object: ObjectRef;
  readonly pssHash?: HashName;
  readonly label?: Uint8Array;
  /** Data of C_*Update calls. */
  parts: Uint8Array[];
  partBytes: number;
  /** True once an Update call was made (single-part calls are then refused). */
  multipart: boolean;
  /** A result computed for a buffer that was too small, kept for the retry. */
  pending?: Uint8Array | undefined;
}

/** One session. */
export interface Session {
  readonly handle: number;
  readonly rw: boolean;
  find?: { readonly handles: number[]; at: number } | undefined;
  op?: ActiveOperation | undefined;
}

/** Objects this connection has seen: stable handles and the last known key data. */
export class ObjectTable {
  readonly #max: number;
  #next = 1;
  #byHandle = new Map<number, ObjectRef>();
  #byKey = new Map<string, number>();
  #keys = new Map<string, TokenKey>();
  #publicKeys = new Map<string, TokenPublicKey>();

  constructor(maxObjects: number) {
    this.#max = maxObjects;
  }

  /** The handle of (key, class), assigning one on first sight. @throws Pkcs11Error */
  handleFor(key: TokenKey, cls: KeyClass): number {
    this.#keys.set(key.id, key);
    const name = `${cls}/${key.id}`;
    const known = this.#byKey.get(name);
    if (known !== undefined) return known;
    if (this.#byHandle.size >= this.#max) throw new Pkcs11Error(CKR.DEVICE_MEMORY);
    const handle = this.#next++;
    this.#byHandle.set(handle, { handle, keyId: key.id, cls });
    this.#byKey.set(name, handle);
    return handle;
  }

  /** The object of a handle. @throws Pkcs11Error(`rv`) for an unknown handle */
  get(handle: number, rv: number = CKR.OBJECT_HANDLE_INVALID): ObjectRef {
    const ref = this.#byHandle.get(handle);
    if (ref === undefined) throw new Pkcs11Error(rv);
    return ref;
  }

  /** The last known data of a key. */
  key(keyId: string): TokenKey | undefined {
    return this.#keys.get(keyId);
  }

  /** Updates a key's data (e.g. after it disappeared: state destroyed). */
  updateKey(key: TokenKey): void {
    this.#keys.set(key.id, key);
  }

  /** A cached public key of a key version. */
  publicKey(key: TokenKey): TokenPublicKey | undefined {
    return this.#publicKeys.get(`${key.id}/${key.currentVersion}`);
  }

  /** Caches a public key of a key version. */
  setPublicKey(key: TokenKey, pub: TokenPublicKey): void {
    this.#publicKeys.set(`${key.id}/${key.currentVersion}`, pub);
  }
}

/** Everything one connection holds. */
export class ClientState {
  readonly limits: ClientLimits;
  initialized = false;
  credential: TokenCredential | undefined;
  objects: ObjectTable;
  #sessions = new Map<number, Session>();
  #nextSession = 1;
  #buffered = 0;

  constructor(limits: ClientLimits = DEFAULT_CLIENT_LIMITS) {
    this.limits = limits;
    this.objects = new ObjectTable(limits.maxObjects);
  }

  /** Open sessions. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Opens a session. @throws Pkcs11Error(CKR_SESSION_COUNT) at the limit */
  open(rw: boolean): Session {
    if (this.#sessions.size >= this.limits.maxSessions) throw new Pkcs11Error(CKR.SESSION_COUNT);
    const session: Session = { handle: this.#nextSession++, rw };
    this.#sessions.set(session.handle, session);
    return session;
  }

  /** A session by handle. @throws Pkcs11Error(CKR_SESSION_HANDLE_INVALID) */
  session(handle: number): Session {
    const session = this.#sessions.get(handle);
    if (session === undefined) throw new Pkcs11Error(CKR.SESSION_HANDLE_INVALID);
    return session;
  }

  /** Closes a session; closing the last one logs the application out. */
  close(handle: number): void {
    const session = this.session(handle);
    this.endOperation(session);
    this.#sessions.delete(handle);
    if (this.#sessions.size === 0) this.credential = undefined;
  }

  /** Logs the application out: every session's find and operation end. */
  logout(): void {
    this.credential = undefined;
    for (const session of this.#sessions.values()) {
      this.endOperation(session);
      session.find = undefined;
    }
  }

  /** Closes every session and logs out. */
  closeAll(): void {
    for (const handle of [...this.#sessions.keys()]) this.close(handle);
    this.credential = undefined;
  }

  /** Back to the state before C_Initialize (C_Finalize, disconnect). */
  reset(): void {
    this.closeAll();
    this.initialized = false;
    this.objects = new ObjectTable(this.limits.maxObjects);
  }

  /** Ends a session's operation, wiping its buffers. */
  endOperation(session: Session): void {
    const op = session.op;
    if (op === undefined) return;
    wipe(...op.parts, op.pending, op.label);
    this.#buffered -= op.partBytes;
    session.op = undefined;
  }

  /** Buffers a multi-part chunk. @throws Pkcs11Error(CKR_DATA_LEN_RANGE) over the limit */
  appendPart(op: ActiveOperation, data: Uint8Array): void {
    if (this.#buffered + data.length > this.limits.maxBufferedBytes) {
      throw new Pkcs11Error(CKR.DATA_LEN_RANGE);
    }
    op.parts.push(data.slice());
    op.partBytes += data.length;
    this.#buffered += data.length;
    op.multipart = true;
  }
}

/** The buffered parts of an operation as one array (the caller wipes it). */
export function joinParts(op: ActiveOperation): Uint8Array {
  const out = new Uint8Array(op.partBytes);
  let at = 0;
  for (const part of op.parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
