/**
 * The algorithm registry: one table answers every question about an algorithm
 * (family, which usages it may carry, defaults). Built on a null-prototype object so
 * user input such as `"__proto__"` can never resolve to an inherited property.
 */

import type { Algorithm, HashName, Usage } from "../domain/algorithms.ts";

/** Algorithm families; RBAC's `key:use:<family>` actions are named after them. */
export type Family =
  | "aes"
  | "hmac"
  | "rsa"
  | "ec"
  | "ed25519"
  | "ml-kem"
  | "ml-dsa"
  | "hybrid-kem"
  | "slh-dsa"
  | "composite-sig";

/** What the registry knows about one algorithm. */
export interface AlgorithmInfo {
  readonly name: Algorithm;
  readonly family: Family;
  /** True when the key has a public half that may be published. */
  readonly asymmetric: boolean;
  /** Usages a key of this algorithm may be created with. */
  readonly usages: readonly Usage[];
  /** Usages given when the request names none. */
  readonly defaultUsages: readonly Usage[];
  /** Default hash for sign/verify (undefined where the scheme fixes its own). */
  readonly defaultHash?: HashName;
  /** Key size in bits (RSA modulus, EC field, symmetric key). */
  readonly bits?: number;
  /**
   * How ciphertexts are written: `versioned` as `fhsm:v<version>:<base64>` (symmetric
   * ciphers, so the version travels with the data), `raw` as plain base64.
   */
  readonly ciphertext?: "versioned" | "raw";
  /** Which sign/verify options the algorithm accepts (absent: none). */
  readonly signOptions?: SignOptionSupport;
}

/** Sign/verify request options an algorithm understands. */
export interface SignOptionSupport {
  /** `digest` input (a hash the caller computed) and a choice of `hash`. */
  readonly digest: boolean;
  /** RSA padding (`pkcs1` or `pss`). */
  readonly padding: boolean;
  /** ECDSA signature encoding (`der` or `raw`). */
  readonly signatureFormat: boolean;
  /** A signing `context` (FIPS 204/205, composite signatures), ≤ 255 bytes. */
  readonly context: boolean;
  /** The pre-hash variant (`prehash: "SHA-512"`, HashML-DSA); a `digest` is then allowed. */
  readonly prehash: boolean;
}

const NONE: SignOptionSupport = {
  digest: false,
  padding: false,
  signatureFormat: false,
  context: false,
  prehash: false,
};
const RSA_SIGNING: SignOptionSupport = { ...NONE, digest: true, padding: true };
const EC_SIGNING: SignOptionSupport = { ...NONE, digest: true, signatureFormat: true };
const ML_DSA_SIGNING: SignOptionSupport = { ...NONE, context: true, prehash: true };
const SLH_DSA_SIGNING: SignOptionSupport = { ...NONE, context: true };
/** Composite signatures sign PH(M) = SHA-512(M), so a caller may send that digest. */
const COMPOSITE_SIGNING: SignOptionSupport = { ...NONE, context: true, digest: true };

function entry(info: AlgorithmInfo): AlgorithmInfo {
  return Object.freeze(info);
}

const RSA_USAGES: readonly Usage[] = ["sign", "verify", "encrypt", "decrypt", "wrap", "unwrap"];

const TABLE: Record<Algorithm, AlgorithmInfo> = Object.assign(Object.create(null), {
  "AES-256-GCM": entry({
    name: "AES-256-GCM",
    family: "aes",
    asymmetric: false,
    usages: ["encrypt", "decrypt", "wrap", "unwrap"],
    defaultUsages: ["encrypt", "decrypt"],
    bits: 256,
    ciphertext: "versioned",
  }),
  "HMAC-SHA256": entry({
    name: "HMAC-SHA256",
    family: "hmac",
    asymmetric: false,
    usages: ["mac"],
    defaultUsages: ["mac"],
    bits: 256,
  }),
  "RSA-2048": entry({
    name: "RSA-2048",
    family: "rsa",
    asymmetric: true,
    usages: RSA_USAGES,
    defaultUsages: ["sign", "verify"],
    defaultHash: "SHA-256",
    ciphertext: "raw",
    signOptions: RSA_SIGNING,
    bits: 2048,
  }),
  "RSA-3072": entry({
    name: "RSA-3072",
    family: "rsa",
    asymmetric: true,
    usages: RSA_USAGES,
    defaultUsages: ["sign", "verify"],
    defaultHash: "SHA-256",
    ciphertext: "raw",
    signOptions: RSA_SIGNING,
    bits: 3072,
  }),
  "RSA-4096": entry({
    name: "RSA-4096",
    family: "rsa",
    asymmetric: true,
    usages: RSA_USAGES,
    defaultUsages: ["sign", "verify"],
    defaultHash: "SHA-256",
    ciphertext: "raw",
    signOptions: RSA_SIGNING,
    bits: 4096,
  }),
  "EC-P256": entry({
    name: "EC-P256",
    family: "ec",
    asymmetric: true,
    usages: ["sign", "verify"],
    defaultUsages: ["sign", "verify"],
    defaultHash: "SHA-256",
    bits: 256,
    signOptions: EC_SIGNING,
  }),
  "EC-P384": entry({
    name: "EC-P384",
    family: "ec",
    asymmetric: true,
    usages: ["sign", "verify"],
    defaultUsages: ["sign", "verify"],
    defaultHash: "SHA-384",
    bits: 384,
    signOptions: EC_SIGNING,
  }),
  "Ed25519": entry({
    name: "Ed25519",
    family: "ed25519",
    asymmetric: true,
    usages: ["sign", "verify"],
    defaultUsages: ["sign", "verify"],
    bits: 256,
  }),
  "ML-KEM-512": entry({
    name: "ML-KEM-512",
    family: "ml-kem",
    asymmetric: true,
    usages: ["encapsulate", "decapsulate"],
    defaultUsages: ["encapsulate", "decapsulate"],
  }),
  "ML-KEM-768": entry({
    name: "ML-KEM-768",
    family: "ml-kem",
    asymmetric: true,
    usages: ["encapsulate", "decapsulate"],
    defaultUsages: ["encapsulate", "decapsulate"],
  }),
  "ML-KEM-1024": entry({
    name: "ML-KEM-1024",
    family: "ml-kem",
    asymmetric: true,
    usages: ["encapsulate", "decapsulate"],
    defaultUsages: ["encapsulate", "decapsulate"],
  }),
  "ML-DSA-44": entry({
    name: "ML-DSA-44",
    family: "ml-dsa",
    asymmetric: true,
    usages: ["sign", "verify"],
    defaultUsages: ["sign", "verify"],
    signOptions: ML_DSA_SIGNING,
  }),
  "ML-DSA-65": entry({
    name: "ML-DSA-65",
    family: "ml-dsa",
    asymmetric: true,
    usages: ["sign", "verify"],
    defaultUsages: ["sign", "verify"],
    signOptions: ML_DSA_SIGNING,
  }),
  "ML-DSA-87": entry({
    name: "ML-DSA-87",
    family: "ml-dsa",
    asymmetric: true,
    usages: ["sign", "verify"],
    defaultUsages: ["sign", "verify"],
    signOptions: ML_DSA_SIGNING,
  }),
  "ML-KEM-768-X25519": entry({
    name: "ML-KEM-768-X25519",
    family: "hybrid-kem",
    asymmetric: true,
    usages: ["encapsulate", "decapsulate"],
    defaultUsages: ["encapsulate", "decapsulate"],
  }),
  "ML-KEM-768-P256": entry({
    name: "ML-KEM-768-P256",
    family: "hybrid-kem",
    asymmetric: true,
    usages: ["encapsulate", "decapsulate"],
    defaultUsages: ["encapsulate", "decapsulate"],
  }),
  "ML-KEM-1024-P384": entry({
    name: "ML-KEM-1024-P384",
    family: "hybrid-kem",
    asymmetric: true,
    usages: ["encapsulate", "decapsulate"],
    defaultUsages: ["encapsulate", "decapsulate"],
  }),
  "SLH-DSA-SHA2-128s": entry({
    name: "SLH-DSA-SHA2-128s",
    family: "slh-dsa",
    asymmetric: true,
    usages: ["sign", "verify"],
    defaultUsages: ["sign", "verify"],
    signOptions: SLH_DSA_SIGNING,
  }),
  "SLH-DSA-SHAKE-128f": entry({
    name: "SLH-DSA-SHAKE-128f",
    family: "slh-dsa",
    asymmetric: true,
    usages: ["sign", "verify"],
    defaultUsages: ["sign", "verify"],
    signOptions: SLH_DSA_SIGNING,
  }),
  "SLH-DSA-SHA2-256s": entry({
    name: "SLH-DSA-SHA2-256s",
    family: "slh-dsa",
    asymmetric: true,
    usages: ["sign", "verify"],
    defaultUsages: ["sign", "verify"],
    signOptions: SLH_DSA_SIGNING,
  }),
  "ML-DSA-65-EC-P256": entry({
    name: "ML-DSA-65-EC-P256",
    family: "composite-sig",
    asymmetric: true,
    usages: ["sign", "verify"],
    defaultUsages: ["sign", "verify"],
    signOptions: COMPOSITE_SIGNING,
  }),
  "ML-DSA-87-EC-P384": entry({
    name: "ML-DSA-87-EC-P384",
    family: "composite-sig",
    asymmetric: true,
    usages: ["sign", "verify"],
    defaultUsages: ["sign", "verify"],
    signOptions: COMPOSITE_SIGNING,
  }),
});
Object.freeze(TABLE);

/** Looks up an algorithm by its API name; undefined for unknown names. */
export function algorithmInfo(name: string): AlgorithmInfo | undefined {
  return Object.hasOwn(TABLE, name) ? TABLE[name as Algorithm] : undefined;
}

/** True when `name` is an algorithm of the contract. */
export function isAlgorithm(name: string): name is Algorithm {
  return Object.hasOwn(TABLE, name);
}
