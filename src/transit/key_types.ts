/**
 * The Transit key types FerroHSM serves and what each maps to: the FerroHSM algorithm,
 * the usages a Transit-created key gets, and what `GET /v1/transit/keys/:name` reports.
 * One null-prototype table answers every question, so a type name from a request can
 * never resolve to an inherited property.
 *
 * Caveat: Vault's RSA keys both sign and encrypt; to stay compatible a Transit-created
 * RSA key carries sign, verify, encrypt and decrypt, which mixes purposes on one key pair.
 * Create separate keys (two names) where key separation matters.
 */

import type { Algorithm, HashName, Usage } from "../domain/algorithms.ts";
import { HsmError } from "../domain/errors.ts";

/** A Transit key type FerroHSM offers. */
export type TransitKeyType =
  | "aes256-gcm96"
  | "ecdsa-p256"
  | "ecdsa-p384"
  | "rsa-2048"
  | "rsa-3072"
  | "rsa-4096"
  | "ed25519"
  | "hmac";

/** What one Transit key type is in FerroHSM. */
export interface TransitKeyTypeInfo {
  readonly type: TransitKeyType;
  readonly algorithm: Algorithm;
  /** Usages of a key created through Transit. */
  readonly usages: readonly Usage[];
  /** `keys[N].name` of an asymmetric key's version (as Vault names the curve or size). */
  readonly publicKeyName?: string;
  /** How the public key is shown: SPKI PEM, or the raw key in base64 (Ed25519). */
  readonly publicKeyFormat?: "pem" | "raw";
}

const SIGNING: readonly Usage[] = ["sign", "verify"];
const RSA: readonly Usage[] = ["sign", "verify", "encrypt", "decrypt"];

const TYPES: Readonly<Record<TransitKeyType, TransitKeyTypeInfo>> = Object.freeze(
  Object.assign(Object.create(null), {
    "aes256-gcm96": {
      type: "aes256-gcm96",
      algorithm: "AES-256-GCM",
      usages: ["encrypt", "decrypt"],
    },
    "ecdsa-p256": {
      type: "ecdsa-p256",
      algorithm: "EC-P256",
      usages: SIGNING,
      publicKeyName: "P-256",
      publicKeyFormat: "pem",
    },
    "ecdsa-p384": {
      type: "ecdsa-p384",
      algorithm: "EC-P384",
      usages: SIGNING,
      publicKeyName: "P-384",
      publicKeyFormat: "pem",
    },
    "rsa-2048": {
      type: "rsa-2048",
      algorithm: "RSA-2048",
      usages: RSA,
      publicKeyName: "rsa-2048",
      publicKeyFormat: "pem",
    },
    "rsa-3072": {
      type: "rsa-3072",
      algorithm: "RSA-3072",
      usages: RSA,
      publicKeyName: "rsa-3072",
      publicKeyFormat: "pem",
    },
    "rsa-4096": {
      type: "rsa-4096",
      algorithm: "RSA-4096",
      usages: RSA,
      publicKeyName: "rsa-4096",
      publicKeyFormat: "pem",
    },
    ed25519: {
      type: "ed25519",
      algorithm: "Ed25519",
      usages: SIGNING,
      publicKeyName: "ed25519",
      publicKeyFormat: "raw",
    },
    hmac: { type: "hmac", algorithm: "HMAC-SHA256", usages: ["mac"] },
  }),
);

const BY_ALGORITHM: ReadonlyMap<Algorithm, TransitKeyTypeInfo> = new Map(
  Object.values(TYPES).map((info) => [info.algorithm, info]),
);

/** Every Transit key type FerroHSM offers. */
export const TRANSIT_KEY_TYPES: readonly TransitKeyType[] = Object.freeze(
  Object.keys(TYPES) as TransitKeyType[],
);

/**
 * The key type named in a request.
 * @throws HsmError("invalid_request") for a type FerroHSM does not offer
 */
export function transitKeyType(name: unknown): TransitKeyTypeInfo {
  const info = typeof name === "string" ? TYPES[name as TransitKeyType] : undefined;
  if (info === undefined) {
    throw new HsmError(
      "invalid_request",
      `Unknown key type ${JSON.stringify(name)}: FerroHSM offers ${TRANSIT_KEY_TYPES.join(", ")}`,
    );
  }
  return info;
}

/**
 * The Transit view of a FerroHSM algorithm.
 * @throws HsmError("invalid_request") for an algorithm Transit has no type for
 */
export function typeOfAlgorithm(algorithm: Algorithm): TransitKeyTypeInfo {
  const info = BY_ALGORITHM.get(algorithm);
  if (info === undefined) {
    throw new HsmError(
      "invalid_request",
      `Cannot serve a ${algorithm} key through Transit: it has no Transit key type`,
    );
  }
  return info;
}

const HASHES: Readonly<Record<string, HashName>> = Object.freeze(
  Object.assign(Object.create(null), {
    "sha2-256": "SHA-256",
    "sha2-384": "SHA-384",
    "sha2-512": "SHA-512",
  }),
);

/**
 * The hash of a Transit `hash_algorithm` (or URL algorithm) name; `sha2-256` when absent.
 * @throws HsmError("invalid_request") for sha1, sha2-224, sha3-* and anything else
 */
export function transitHash(name: string | undefined): HashName {
  const hash = HASHES[name ?? "sha2-256"];
  if (hash === undefined) {
    throw new HsmError(
      "invalid_request",
      `Unsupported hash algorithm ${
        JSON.stringify(name)
      }: FerroHSM offers sha2-256, sha2-384, sha2-512`,
    );
  }
  return hash;
}
