/**
 * The provider interface of the cryptographic core. A provider turns an algorithm's
 * serialized private material (the only form that is ever sealed) into a `LoadedKey`
 * whose secrets live in non-extractable `CryptoKey`s or in private buffers that
 * `dispose()` wipes. Callers outside `src/core/` only ever see `LoadedKey` methods.
 *
 * Material formats (what sealing encrypts): AES/HMAC raw 32 bytes; RSA, EC and
 * Ed25519 PKCS#8 DER; ML-KEM the 64-byte FIPS 203 seed (d‖z); ML-DSA the 32-byte
 * FIPS 204 seed ξ.
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
  /** True when `data` is already a digest of `hash` (RSA and ECDSA only). */
  readonly prehashed?: boolean;
}

/** The public half of an asymmetric key. */
export interface PublicKeyExport {
  /** SubjectPublicKeyInfo DER (ML-KEM/ML-DSA: draft IETF LAMPS SPKI with the NIST OIDs). */
  readonly spki: Uint8Array;
  /** The key as a public JWK (PQC: `kty: "AKP"`, draft-ietf-cose-dilithium style). */
  readonly jwk: Record<string, unknown>;
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
}
