/**
 * Cryptographic operations on stored keys: encrypt/decrypt, sign/verify, MAC,
 * encapsulate/decapsulate. Each call is authorized as `key:use:<family>`, checked
 * against the key's state and usages, run by the core on a cached loaded key, and
 * audited (the audit payload records parameters and sizes, never data).
 *
 * Revoked keys keep working for the "consuming" half (decrypt, verify, MAC verify,
 * decapsulate) so existing data stays readable; the "producing" half refuses. Versions
 * below a key's minimum decryption version are refused for the consuming half; each
 * successful operation counts against its version's usage counter.
 * AES-GCM ciphertexts are `fhsm:v<version>:<base64(nonce‖ct‖tag)>`.
 */

import { algorithmInfo } from "../core/algorithms.ts";
import type { HashName } from "../domain/algorithms.ts";
import { HsmError } from "../domain/errors.ts";
import {
  chooseVersion,
  type KeyOperation,
  requirePublicReadable,
  requireUsable,
} from "../domain/key_lifecycle.ts";
import { requireVersionFor } from "../domain/key_schedule.ts";
import { keyUseAction } from "../access/rbac.ts";
import { fromBase64, toBase64 } from "../core/encoding.ts";
import type { Encapsulation, LoadedKey, SignOptions } from "../core/provider.ts";
import { toPem } from "../core/pem.ts";
import type { KeyRecord } from "../domain/records.ts";
import type { Actor, Guard } from "../access/guard.ts";
import type { KeyLoader } from "./key_loader.ts";
import type { KeyRecords } from "./key_records.ts";
import type { UsageRecorder } from "./usage_counters.ts";

/** Sign/verify parameters as the API names them. */
export interface SignParams {
  /** The data: a message the server hashes, or a digest of `hash`. */
  readonly data: Uint8Array;
  readonly prehashed: boolean;
  readonly hash?: HashName;
  readonly padding?: "pkcs1" | "pss";
  readonly format?: "der" | "raw";
  /** FIPS 204/205 and composite signing context (≤ 255 bytes). */
  readonly context?: Uint8Array;
  /** The pre-hash variant (HashML-DSA). */
  readonly prehash?: "SHA-512";
}

/** One component of a hybrid or composite public key. */
export interface PublicComponentView {
  readonly algorithm: string;
  readonly pem: string;
  readonly jwk: Record<string, unknown>;
  readonly raw: Uint8Array;
}

/** The public half of a key version as the API returns it. */
export interface PublicKeyView {
  readonly version: number;
  readonly pem: string;
  readonly jwk: Record<string, unknown>;
  /** The raw public key (post-quantum, hybrid and composite keys). */
  readonly raw?: Uint8Array;
  /** The components of a hybrid or composite key. */
  readonly components?: readonly PublicComponentView[];
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

/** Dependencies and options of CryptoService. */
export interface CryptoServiceOptions {
  readonly records: KeyRecords;
  readonly loader: KeyLoader;
  readonly guard: Guard;
  /** Called once per operation (encrypt, sign, ...) after it finished, e.g. for metrics. */
  readonly onOperation?: CryptoOperationObserver | undefined;
  /** Counts each successful operation against the version that performed it. */
  readonly usage?: UsageRecorder | undefined;
}

const CIPHERTEXT_RE = /^fhsm:v([1-9][0-9]{0,8}):([A-Za-z0-9+/=]+)$/;

/** One operation as `#use` runs it. */
interface UseRequest {
  readonly actor: Actor;
  readonly id: string;
  readonly operation: KeyOperation;
  /** Non-secret parameters for the audit entry (sizes, versions, options). */
  readonly payload: Record<string, unknown>;
  /** The version to use; the current one when absent. */
  readonly version?: number | undefined;
}

/** Runs cryptographic operations under policy and audit. */
export class CryptoService {
  #records: KeyRecords;
  #loader: KeyLoader;
  #guard: Guard;
  #onOperation: CryptoOperationObserver | undefined;
  #usage: UsageRecorder | undefined;

  constructor(options: CryptoServiceOptions) {
    this.#records = options.records;
    this.#loader = options.loader;
    this.#guard = options.guard;
    this.#onOperation = options.onOperation;
    this.#usage = options.usage;
  }

  /** Encrypts with the current version (symmetric: `fhsm:v<N>:` string; RSA: OAEP bytes). */
  encrypt(
    actor: Actor,
    id: string,
    plaintext: Uint8Array,
    aad?: Uint8Array,
  ): Promise<Versioned<string>> {
    const payload = { plaintext_bytes: plaintext.length, aad_bytes: aad?.length ?? 0 };
    return this.#use({ actor, id, operation: "encrypt", payload }, async (k, r, v) => {
      const out = await need(k.encrypt, r, "encrypt").call(k, plaintext, aad);
      return algorithmInfo(r.algorithm)?.ciphertext === "versioned"
        ? `fhsm:v${v}:${toBase64(out)}`
        : toBase64(out);
    });
  }

  /** Decrypts; `fhsm:` ciphertexts name their version, others use `version` or current. */
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
    const request = { actor, id, operation: "decrypt", payload, version: chosen } as const;
    return this.#use(request, async (k, r) => {
      if (algorithmInfo(r.algorithm)?.ciphertext === "versioned" && m === null) {
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
    return this.#use({ actor, id, operation: "sign", payload }, async (k, r) => {
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
    return this.#use({ actor, id, operation: "verify", payload, version }, async (k, r) => {
      const options = signOptions(r, params);
      return await need(k.verify, r, "verify").call(k, params.data, signature, options);
    });
  }

  /** Computes an HMAC with the current version. */
  mac(actor: Actor, id: string, message: Uint8Array): Promise<Versioned<Uint8Array>> {
    const payload = { message_bytes: message.length };
    return this.#use({ actor, id, operation: "mac", payload }, async (k, r) => {
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
    return this.#use({ actor, id, operation: "mac_verify", payload, version }, async (k, r) => {
      return await need(k.macVerify, r, "verify a MAC with").call(k, message, tag);
    });
  }

  /** Encapsulates a fresh shared secret to the current version. */
  encapsulate(actor: Actor, id: string): Promise<Versioned<Encapsulation>> {
    return this.#use({ actor, id, operation: "encapsulate", payload: {} }, async (k, r) => {
      return await need(k.encapsulate, r, "encapsulate").call(k);
    });
  }

  /** Decapsulates with `version` (default current). */
  decapsulate(
    actor: Actor,
    id: string,
    ciphertext: Uint8Array,
    version?: number,
  ): Promise<Versioned<Uint8Array>> {
    const payload = { ciphertext_bytes: ciphertext.length, version };
    const request = { actor, id, operation: "decapsulate", payload, version } as const;
    return this.#use(request, async (k, r) => {
      return await need(k.decapsulate, r, "decapsulate").call(k, ciphertext);
    });
  }

  /** The public half of an asymmetric key version as SPKI PEM and JWK. */
  publicKey(actor: Actor, id: string, version?: number): Promise<PublicKeyView> {
    const request = { actor, action: "key.public", keyId: id, payload: { version } };
    return this.#guard.run(request, async (op) => {
      op.authorize("key:read");
      const record = await this.#records.get(id);
      if (!algorithmInfo(record.algorithm)?.asymmetric) {
        throw new HsmError("invalid_request", `Key ${id} is symmetric: it has no public key`);
      }
      requirePublicReadable(record);
      const v = chooseVersion(record, version);
      await op.admit(record, v);
      const loaded = await this.#loader.load(id, v, record.algorithm);
      const pub = need(loaded.publicKey, record, "export a public key for").call(loaded);
      return {
        version: v,
        pem: toPem("PUBLIC KEY", pub.spki),
        jwk: pub.jwk,
        ...(pub.raw === undefined ? {} : { raw: pub.raw }),
        ...(pub.components === undefined ? {} : {
          components: pub.components.map((c) => ({
            algorithm: c.algorithm,
            pem: toPem("PUBLIC KEY", c.spki),
            jwk: c.jwk,
            raw: c.raw,
          })),
        }),
      };
    });
  }

  #use<T>(
    request: UseRequest,
    fn: (key: LoadedKey, record: KeyRecord, version: number) => Promise<T>,
  ): Promise<Versioned<T>> {
    const { actor, id, operation } = request;
    const action = `key.${operation}`;
    let algorithm = "unknown";
    const audited = { actor, action, keyId: id, payload: request.payload };
    const done = this.#guard.run(audited, async (op) => {
      const record = await this.#records.get(id);
      algorithm = record.algorithm;
      const info = algorithmInfo(record.algorithm);
      if (info === undefined) throw new HsmError("integrity_error", `Key ${id} is unreadable`);
      op.authorize(keyUseAction(info.family));
      requireUsable(record, operation);
      const v = chooseVersion(record, request.version);
      requireVersionFor(record, operation, v);
      await op.admit(record, v);
      const key = await this.#loader.load(id, v, record.algorithm);
      const value = await fn(key, record, v);
      this.#usage?.record(id, v);
      return { value, version: v };
    });
    done.then(
      () => this.#observe(algorithm, operation, "ok"),
      (err) => this.#observe(algorithm, operation, err instanceof HsmError ? err.code : "internal"),
    );
    return done;
  }

  #observe(algorithm: string, operation: string, result: string): void {
    try {
      this.#onOperation?.(algorithm, operation, result);
    } catch {
      // An observer must never affect an operation.
    }
  }
}

function need<F>(method: F | undefined, record: KeyRecord, verb: string): F {
  if (method === undefined) {
    throw new HsmError("invalid_request", `Cannot ${verb} with a ${record.algorithm} key`);
  }
  return method;
}

/**
 * The provider sign options of a sign/verify call on `record`'s algorithm.
 * @throws HsmError("invalid_request") for an option the algorithm does not take
 */
export function signOptions(record: KeyRecord, p: SignParams): SignOptions {
  const support = algorithmInfo(record.algorithm)?.signOptions;
  if (p.prehash !== undefined && !support?.prehash) {
    throw new HsmError("invalid_request", `Cannot use prehash with a ${record.algorithm} key`);
  }
  if (p.context !== undefined && !support?.context) {
    throw new HsmError("invalid_request", `Cannot use context with a ${record.algorithm} key`);
  }
  const digestAllowed = support?.digest === true || p.prehash !== undefined;
  if (p.hash !== undefined && support?.digest !== true) {
    throw new HsmError("invalid_request", `Cannot choose a hash for a ${record.algorithm} key`);
  }
  if (p.prehashed && !digestAllowed) {
    throw new HsmError(
      "invalid_request",
      `Cannot use digest or hash with a ${record.algorithm} key: it signs messages only`,
    );
  }
  if (!support?.padding && p.padding !== undefined) {
    throw new HsmError("invalid_request", `Cannot use padding with a ${record.algorithm} key`);
  }
  if (!support?.signatureFormat && p.format !== undefined) {
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
    ...(p.context === undefined ? {} : { context: p.context }),
    ...(p.prehash === undefined ? {} : { prehash: p.prehash }),
  };
}

function signPayload(p: SignParams): Record<string, unknown> {
  return {
    data_bytes: p.data.length,
    prehashed: p.prehashed,
    hash: p.hash,
    padding: p.padding,
    signature_format: p.format,
    context_bytes: p.context?.length,
    prehash: p.prehash,
  };
}
