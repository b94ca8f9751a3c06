/**
 * The names the API and every layer share: key algorithms, usages and hash functions.
 * What each algorithm can do lives in the core's registry (`src/core/algorithms.ts`);
 * this module only names them, so records and contracts can type them without
 * depending on the cryptographic core.
 */

/** Every key algorithm of the API contract. */
export const ALGORITHM_NAMES = [
  "AES-256-GCM",
  "HMAC-SHA256",
  "RSA-2048",
  "RSA-3072",
  "RSA-4096",
  "EC-P256",
  "EC-P384",
  "Ed25519",
  "ML-KEM-512",
  "ML-KEM-768",
  "ML-KEM-1024",
  "ML-DSA-44",
  "ML-DSA-65",
  "ML-DSA-87",
  "ML-KEM-768-X25519",
  "ML-KEM-768-P256",
  "ML-KEM-1024-P384",
  "SLH-DSA-SHA2-128s",
  "SLH-DSA-SHAKE-128f",
  "SLH-DSA-SHA2-256s",
  "ML-DSA-65-EC-P256",
  "ML-DSA-87-EC-P384",
] as const;

/** A key algorithm name as it appears in the API. */
export type Algorithm = typeof ALGORITHM_NAMES[number];

/** Every key usage of the API contract. */
export const USAGE_NAMES = [
  "encrypt",
  "decrypt",
  "sign",
  "verify",
  "wrap",
  "unwrap",
  "mac",
  "encapsulate",
  "decapsulate",
] as const;

/** A permitted operation class on a key. */
export type Usage = typeof USAGE_NAMES[number];

/** Hash functions that sign/verify accept. */
export type HashName = "SHA-256" | "SHA-384" | "SHA-512";
