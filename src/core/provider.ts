/**
 * The provider interface of the cryptographic core. A provider turns an algorithm's
 * serialized private material (the only form that is ever sealed) into a `LoadedKey`
 * whose secrets live in non-extractable `CryptoKey`s or in private buffers that
 * `dispose()` wipes. Callers outside `src/core/` only ever see `LoadedKey` methods.
 *
 * Material formats (what sealing encrypts): AES/HMAC raw 32 bytes; RSA, EC and
 * Ed25519 PKCS#8 DER; ML-KEM the 64-byte FIPS 203 seed (d‖z); ML-DSA the 32-byte
 * FIPS 204 seed ξ; SLH-DSA the FIPS 205 key-generation seeds SK.seed‖SK.prf‖PK.seed
 * (3n bytes); the hybrid KEMs their 32-byte decapsulation seed; composite ML-DSA the
 * draft's private key mldsaSeed(32)‖ECPrivateKey DER (RFC 5915, no public key).
 *
 * A provider may declare which calls are CPU-heavy synchronous work (`offload`), so that
 * `src/core/offload/` runs them in worker threads and the event loop stays free.
 */

import type { Algorithm, HashName } from "../domain/algorithms.ts";

/** Options for sign and verify. */
export interface SignOptions {
  /** Hash for RSA/ECDSA; defaults from the registry. Ignored by Ed25519 and ML-DSA. */
  readonly hash?: HashName;
  /** RSA padding; default `pkcs1`. PSS uses salt length = hash length. */
  readonly padding?: "pkcs1" | "pss";
  /** ECDSA signature encoding; default `der` (`raw` = IEEE P1363 r‖s). */
  readonly format?: "der" | "raw";
  /**
   * True when `data` is already a digest: of `hash` for RSA and ECDSA, the 64-byte SHA-512
   * digest for HashML-DSA (`prehash`) and for composite ML-DSA (its PH(M)).
   */
  readonly prehashed?: boolean;
  /**
   * Context string ctx of FIPS 204/205 and composite ML-DSA (at most 255 bytes, default
   * empty). Only ML-DSA, SLH-DSA and composite keys take it; others refuse it.
   */
  readonly context?: Uint8Array;
  /** HashML-DSA pre-hash (FIPS 204 §5.4). Only ML-DSA keys take it; others refuse it. */
  readonly prehash?: "SHA-512";
}

/** The public half of an asymmetric key. */
export interface PublicKeyExport {
  /** SubjectPublicKeyInfo DER (ML-KEM/ML-DSA: draft IETF LAMPS SPKI with the NIST OIDs). */
  readonly spki: Uint8Array;
  /** The key as a public JWK (PQC: `kty: "AKP"`, draft-ietf-cose-dilithium style). */
  readonly jwk: Record<string, unknown>;
  /**
   * The raw public key of post-quantum, hybrid and composite keys: the FIPS 203/204/205
   * encoding, the hybrid's concatenated encapsulation key, the composite's serialized key.
   */
  readonly raw?: Uint8Array;
  /** The component public keys of a hybrid or composite key, in serialization order. */
  readonly components?: readonly ComponentPublicKey[];
}

/** One component of a hybrid or composite public key. */
export interface ComponentPublicKey {
  /** The component algorithm, e.g. `ML-DSA-65`, `EC-P256`, `X25519`. */
  readonly algorithm: string;
  readonly spki: Uint8Array;
  readonly jwk: Record<string, unknown>;
  readonly raw: Uint8Array;
}

/** A KEM encapsulation result. */
export interface Encapsulation {
  readonly ciphertext: Uint8Array;
  readonly sharedSecret: Uint8Array;
}

/**
 * A key loaded into the core. Methods absent for an algorithm are undefined.
 * Malformed input throws `HsmError("invalid_request")`; a failed authentication
 * (AES-GCM tag, OAEP padding) throws `HsmError("invalid_request", "Decryption failed")`;
 * `verify` and `macVerify` return false rather than throw for a wrong signature.
 */
export interface LoadedKey {
  readonly algorithm: Algorithm;
  /** AES-GCM: returns nonce(12)‖ciphertext‖tag(16), `aad` authenticated. RSA: OAEP-SHA256 ciphertext, a non-empty `aad` is the OAEP label. */
  encrypt?(plaintext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  /** Inverse of `encrypt`. */
  decrypt?(ciphertext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  sign?(data: Uint8Array, options?: SignOptions): Promise<Uint8Array>;
  verify?(data: Uint8Array, signature: Uint8Array, options?: SignOptions): Promise<boolean>;
  /** HMAC tag over `message`. */
  mac?(message: Uint8Array): Promise<Uint8Array>;
  macVerify?(message: Uint8Array, tag: Uint8Array): Promise<boolean>;
  encapsulate?(): Promise<Encapsulation>;
  decapsulate?(ciphertext: Uint8Array): Promise<Uint8Array>;
  /** Public half (asymmetric keys only). */
  publicKey?(): PublicKeyExport;
  /** Wipes any secret bytes held outside non-extractable CryptoKeys. Idempotent. */
  dispose(): void;
}

/** The `LoadedKey` methods a provider may declare slow. */
export type OffloadMethod = "sign" | "verify" | "encapsulate" | "decapsulate";

/**
 * Which calls of a key are CPU-heavy synchronous work, to be run off the main thread.
 * Without `when`, every call of the key goes to the pool and no copy of it is kept on the
 * main thread (so `methods` must name all of its slow methods).
 */
export interface OffloadPolicy {
  /** Methods that may block the event loop for long. */
  readonly methods: readonly OffloadMethod[];
  /**
   * Narrows `methods` per call: when present, only calls for which it returns true are
   * offloaded and the key is also loaded on the main thread for the others.
   */
  readonly when?: (method: OffloadMethod, options: SignOptions | undefined) => boolean;
}

/** One algorithm family's implementation. */
export interface Provider {
  /** Generates fresh private material from the OS CSPRNG. The caller seals then wipes it. */
  generate(algorithm: Algorithm): Promise<Uint8Array>;
  /**
   * Loads serialized material into a `LoadedKey`. Wipes `material` before returning
   * (the caller must not reuse it). Throws `HsmError("integrity_error")` when the
   * material does not parse as a key of `algorithm`.
   */
  load(algorithm: Algorithm, material: Uint8Array): Promise<LoadedKey>;
  /** Which calls of `algorithm`'s keys to run in the offload pool; undefined for none. */
  offload?(algorithm: Algorithm): OffloadPolicy | undefined;
}
