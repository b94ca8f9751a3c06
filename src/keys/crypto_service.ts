/**
 * Cryptographic operations on stored keys: encrypt/decrypt, sign/verify, MAC,
 * encapsulate/decapsulate. Each call is authorized as `key:use:<family>`, checked
 * against the key's state and usages, run by the core on a cached loaded key, and
 * audited (the audit payload records parameters and sizes, never data).
 *
 * Revoked keys keep working for the "consuming" half (decrypt, verify, MAC verify,
 * decapsulate) so existing data stays readable; the "producing" half refuses.
 * AES-GCM ciphertexts are `fhsm:v<version>:<base64(nonce‖ct‖tag)>`.
 */

import { algorithmInfo } from "../core/algorithms.ts";
import { type HashName, type Usage } from "../domain/algorithms.ts";
import { HsmError } from "../domain/errors.ts";
import { fromBase64, toBase64 } from "../core/encoding.ts";
import type { Encapsulation, LoadedKey, SignOptions } from "../core/provider.ts";
import { toPem } from "../core/pem.ts";
import type { KeyRecord } from "../domain/records.ts";
import type { Actor, Guard } from "../access/guard.ts";
import type { KeyLoader } from "./key_loader.ts";
import type { KeyService } from "./key_service.ts";

/** Sign/verify parameters as the API names them. */
export interface SignParams {
  /** The data: a message the server hashes, or a digest of `hash`. */
  readonly data: Uint8Array;
  readonly prehashed: boolean;
  readonly hash?: HashName;
  readonly padding?: "pkcs1" | "pss";
  readonly format?: "der" | "raw";
}

/** The public half of a key version as the API returns it. */
export interface PublicKeyView {
  readonly version: number;
  readonly pem: string;
  readonly jwk: Record<string, unknown>;
}

/** A result tagged with the key version that produced it. */
export interface Versioned<T> {
  readonly value: T;
  readonly version: number;
}

/** Observes each cryptographic operation: `result` is "ok" or the HsmError code. */
export type CryptoOperationObserver = (
  algorithm: string,
  operation: string,
  result: string,
) => void;

/** Options of CryptoService. */
export interface CryptoServiceOptions {
  /** Called once per operation (encrypt, sign, ...) after it finished, e.g. for metrics. */
  readonly onOperation?: CryptoOperationObserver | undefined;
}

const CIPHERTEXT_RE = /^fhsm:v([1-9][0-9]{0,8}):([A-Za-z0-9+/=]+)$/;

/** Runs cryptographic operations under policy and audit. */
export class CryptoService {
  #keys: KeyService;
  #loader: KeyLoader;
  #guard: Guard;
  #onOperation: CryptoOperationObserver | undefined;

  constructor(
    keys: KeyService,
    loader: KeyLoader,
    guard: Guard,
    options: CryptoServiceOptions = {},
  ) {
    this.#keys = keys;
    this.#loader = loader;
    this.#guard = guard;
    this.#onOperation = options.onOperation;
  }

  /** Encrypts with the current version (AES-GCM: self-describing string; RSA: OAEP bytes). */
  encrypt(
    actor: Actor,
    id: string,
    plaintext: Uint8Array,
    aad?: Uint8Array,
  ): Promise<Versioned<string>> {
    const payload = { plaintext_bytes: plaintext.length, aad_bytes: aad?.length ?? 0 };
    return this.#use(
      actor,
      "key.encrypt",
      id,
      payload,
      "encrypt",
      true,
      undefined,
      async (k, r, v) => {
        const out = await need(k.encrypt, r, "encrypt").call(k, plaintext, aad);
        return r.algorithm === "AES-256-GCM" ? `fhsm:v${v}:${toBase64(out)}` : toBase64(out);
      },
    );
  }

  /** Decrypts; AES-GCM takes its version from the ciphertext, RSA from `version` or current. */
  decrypt(
    actor: Actor,
    id: string,
    ciphertext: string,
    aad?: Uint8Array,
    version?: number,
  ): Promise<Versioned<Uint8Array>> {
    const payload = { ciphertext_chars: ciphertext.length, aad_bytes: aad?.length ?? 0, version };
    let bytes: Uint8Array | undefined;
    let chosen = version;
    const m = CIPHERTEXT_RE.exec(ciphertext);
    if (m !== null) {
      chosen = Number(m[1]);
      bytes = fromBase64(m[2] as string);
    } else if (!ciphertext.startsWith("fhsm:")) {
      bytes = fromBase64(ciphertext);
    }
    return this.#use(actor, "key.decrypt", id, payload, "decrypt", false, chosen, async (k, r) => {
      if (r.algorithm === "AES-256-GCM" && m === null) {
        throw new HsmError(
          "invalid_request",
          "Invalid ciphertext: expected fhsm:v<version>:<base64>",
        );
      }
      if (bytes === undefined) throw new HsmError("invalid_request", "Invalid ciphertext encoding");
      return await need(k.decrypt, r, "decrypt").call(k, bytes, aad);
    });
  }

  /** Signs a message or digest with the current version. */
  sign(actor: Actor, id: string, params: SignParams): Promise<Versioned<Uint8Array>> {
    const payload = signPayload(params);
    return this.#use(actor, "key.sign", id, payload, "sign", true, undefined, async (k, r) => {
      return await need(k.sign, r, "sign").call(k, params.data, signOptions(r, params));
    });
  }

  /** Verifies a signature with `version` (default current); false for a wrong signature. */
  verify(
    actor: Actor,
    id: string,
    params: SignParams,
    signature: Uint8Array,
    version?: number,
  ): Promise<Versioned<boolean>> {
    const payload = { ...signPayload(params), signature_bytes: signature.length, version };
    return this.#use(actor, "key.verify", id, payload, "verify", false, version, async (k, r) => {
      return await need(k.verify, r, "verify").call(
        k,
        params.data,
        signature,
        signOptions(r, params),
      );
    });
  }

  /** Computes an HMAC with the current version. */
  mac(actor: Actor, id: string, message: Uint8Array): Promise<Versioned<Uint8Array>> {
    const payload = { message_bytes: message.length };
    return this.#use(actor, "key.mac", id, payload, "mac", true, undefined, async (k, r) => {
      return await need(k.mac, r, "mac").call(k, message);
    });
  }

  /** Verifies an HMAC with `version` (default current). */
  macVerify(
    actor: Actor,
    id: string,
    message: Uint8Array,
    tag: Uint8Array,
    version?: number,
  ): Promise<Versioned<boolean>> {
    const payload = { message_bytes: message.length, mac_bytes: tag.length, version };
    return this.#use(actor, "key.mac_verify", id, payload, "mac", false, version, async (k, r) => {
      return await need(k.macVerify, r, "verify a MAC with").call(k, message, tag);
    });
  }

  /** Encapsulates a fresh shared secret to the current version. */
  encapsulate(actor: Actor, id: string): Promise<Versioned<Encapsulation>> {
    return this.#use(
      actor,
      "key.encapsulate",
      id,
      {},
      "encapsulate",
      true,
      undefined,
      async (k, r) => {
        return await need(k.encapsulate, r, "encapsulate").call(k);
      },
    );
  }

  /** Decapsulates with `version` (default current). */
  decapsulate(
    actor: Actor,
    id: string,
    ciphertext: Uint8Array,
    version?: number,
  ): Promise<Versioned<Uint8Array>> {
    const payload = { ciphertext_bytes: ciphertext.length, version };
    return this.#use(actor, "key.decapsulate", id, payload, "decapsulate", false, version, async (
      k,
      r,
    ) => {
      return await need(k.decapsulate, r, "decapsulate").call(k, ciphertext);
    });
  }

  /** The public half of an asymmetric key version as SPKI PEM and JWK. */
  publicKey(actor: Actor, id: string, version?: number): Promise<PublicKeyView> {
    return this.#guard.run(actor, "key.public", id, { version }, async (op) => {
      op.authorize("key:read");
      const record = await this.#keys.record(id);
      if (!algorithmInfo(record.algorithm)?.asymmetric) {
        throw new HsmError("invalid_request", `Key ${id} is symmetric: it has no public key`);
      }
      if (record.state === "destroyed") {
        throw new HsmError("invalid_state", `Cannot read key ${id}: it is destroyed`);
      }
      const v = chooseVersion(record, version);
      const loaded = await this.#loader.load(id, v, record.algorithm);
      const pub = need(loaded.publicKey, record, "export a public key for").call(loaded);
      return { version: v, pem: toPem("PUBLIC KEY", pub.spki), jwk: pub.jwk };
    });
  }

  #use<T>(
    actor: Actor,
    action: string,
    id: string,
    payload: Record<string, unknown>,
    usage: Usage,
    producing: boolean,
    version: number | undefined,
    fn: (key: LoadedKey, record: KeyRecord, version: number) => Promise<T>,
  ): Promise<Versioned<T>> {
    let algorithm = "unknown";
    const done = this.#guard.run(actor, action, id, payload, async (op) => {
      const record = await this.#keys.record(id);
      algorithm = record.algorithm;
      const info = algorithmInfo(record.algorithm);
      op.authorize(`key:use:${info?.family ?? "unknown"}`);
      if (record.state === "staged") {
        throw new HsmError("invalid_state", `Cannot use key ${id}: it is staged awaiting approval`);
      }
      if (record.state === "destroyed" || (producing && record.state === "revoked")) {
        throw new HsmError(
          "invalid_state",
          `Cannot ${usage} with key ${id}: it is ${record.state}`,
        );
      }
      if (!record.usage.includes(usage)) {
        throw new HsmError(
          "invalid_request",
          `Cannot ${usage} with key ${id}: its usage is ${record.usage.join(", ")}`,
        );
      }
      const v = chooseVersion(record, version);
      const key = await this.#loader.load(id, v, record.algorithm);
      return { value: await fn(key, record, v), version: v };
    });
    done.then(
      () => this.#observe(algorithm, action, "ok"),
      (err) => this.#observe(algorithm, action, err instanceof HsmError ? err.code : "internal"),
    );
    return done;
  }

  #observe(algorithm: string, action: string, result: string): void {
    try {
      this.#onOperation?.(algorithm, action.replace(/^key\./, ""), result);
    } catch {
      // An observer must never affect an operation.
    }
  }
}

function chooseVersion(record: KeyRecord, version: number | undefined): number {
  if (version === undefined) return record.currentVersion;
  if (!Number.isInteger(version) || version < 1 || version > record.currentVersion) {
    throw new HsmError(
      "not_found",
      `Cannot use version ${version} of key ${record.id}: latest version is ${record.currentVersion}`,
    );
  }
  return version;
}

function need<F>(method: F | undefined, record: KeyRecord, verb: string): F {
  if (method === undefined) {
    throw new HsmError("invalid_request", `Cannot ${verb} with a ${record.algorithm} key`);
  }
  return method;
}

function signOptions(record: KeyRecord, p: SignParams): SignOptions {
  const family = algorithmInfo(record.algorithm)?.family;
  const hashed = family === "rsa" || family === "ec";
  if (!hashed && (p.prehashed || p.hash !== undefined)) {
    throw new HsmError(
      "invalid_request",
      `Cannot use digest or hash with a ${record.algorithm} key: it signs messages only`,
    );
  }
  if (family !== "rsa" && p.padding !== undefined) {
    throw new HsmError("invalid_request", `Cannot use padding with a ${record.algorithm} key`);
  }
  if (family !== "ec" && p.format !== undefined) {
    throw new HsmError(
      "invalid_request",
      `Cannot use signature_format with a ${record.algorithm} key`,
    );
  }
  return {
    prehashed: p.prehashed,
    ...(p.hash === undefined ? {} : { hash: p.hash }),
    ...(p.padding === undefined ? {} : { padding: p.padding }),
    ...(p.format === undefined ? {} : { format: p.format }),
  };
}

function signPayload(p: SignParams): Record<string, unknown> {
  return {
    data_bytes: p.data.length,
    prehashed: p.prehashed,
    hash: p.hash,
    padding: p.padding,
    signature_format: p.format,
  };
}
