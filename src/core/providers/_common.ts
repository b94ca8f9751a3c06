/**
 * Helpers shared by the classical providers: Web Crypto buffer typing, hash lookup,
 * sign-option checks and the errors every provider raises. Private to
 * `src/core/providers/`; nothing here touches secret bytes.
 */

import type { Family } from "../algorithms.ts";
import type { Algorithm, HashName } from "../../domain/algorithms.ts";
import { algorithmInfo } from "../algorithms.ts";
import { HsmError } from "../../domain/errors.ts";
import type { LoadedKey, OffloadPolicy, Provider, SignOptions } from "../provider.ts";

/** Digest size in bytes of each hash that sign/verify accept. */
export const HASH_LENGTHS: Readonly<Record<HashName, number>> = Object.freeze(
  Object.assign(Object.create(null), { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 }),
);

/** Every hash that sign/verify accept, in registry order. */
export const HASH_NAMES: readonly HashName[] = Object.freeze(["SHA-256", "SHA-384", "SHA-512"]);

/** Views `bytes` as a Web Crypto `BufferSource` (copies only when backed by shared memory). */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer
    ? bytes as Uint8Array<ArrayBuffer>
    : new Uint8Array(bytes);
}

/** The error for material that does not parse as a key of the expected algorithm. */
export function unreadableMaterial(): HsmError {
  return new HsmError("integrity_error", "Sealed key material is unreadable");
}

/** The error for any failed decryption (one vague message for every cause). */
export function decryptionFailed(): HsmError {
  return new HsmError("invalid_request", "Decryption failed");
}

/** The programmer error for using a key after `dispose()`. */
export function disposedKey(): TypeError {
  return new TypeError("Key has been disposed");
}

/** Throws a RangeError unless `algorithm` belongs to `family` (a programmer error). */
export function assertFamily(algorithm: Algorithm, family: Family): void {
  if (algorithmInfo(algorithm)?.family !== family) {
    throw new RangeError(`Algorithm ${String(algorithm)} is not handled by the ${family} provider`);
  }
}

/**
 * Resolves the hash of a sign/verify call (option or registry default). RSA and ECDSA call
 * it first in every sign/verify, so it also refuses the post-quantum options there.
 * @throws HsmError("invalid_request") for an unknown hash name, a context or a prehash
 */
export function resolveHash(algorithm: Algorithm, options: SignOptions | undefined): HashName {
  refuseSignExtensions(algorithm, options);
  const hash = options?.hash ?? algorithmInfo(algorithm)?.defaultHash ?? "SHA-256";
  if (!Object.hasOwn(HASH_LENGTHS, hash)) {
    throw new HsmError("invalid_request", "Hash must be one of SHA-256, SHA-384, SHA-512");
  }
  return hash;
}

/**
 * Checks that a caller-supplied digest has the length of `hash`.
 * @throws HsmError("invalid_request") when it does not
 */
export function assertDigestLength(digest: Uint8Array, hash: HashName): void {
  const expected = HASH_LENGTHS[hash];
  if (digest.length !== expected) {
    throw new HsmError("invalid_request", `Digest must be ${expected} bytes for ${hash}`);
  }
}

/** Longest context string FIPS 204/205 and composite ML-DSA accept. */
export const MAX_CONTEXT = 255;

/**
 * Refuses the post-quantum sign options (`context`, `prehash`) for an algorithm that
 * takes neither (RSA, ECDSA, Ed25519).
 * @throws HsmError("invalid_request") when either is given
 */
export function refuseSignExtensions(algorithm: Algorithm, options: SignOptions | undefined): void {
  if (options?.context !== undefined) {
    throw new HsmError(
      "invalid_request",
      `Cannot use a context with a ${algorithm} key: only ML-DSA, SLH-DSA and composite keys take one`,
    );
  }
  if (options?.prehash !== undefined) {
    throw new HsmError(
      "invalid_request",
      `Cannot use prehash with a ${algorithm} key: only ML-DSA keys take it`,
    );
  }
}

/**
 * Returns the context string of a sign/verify call (`fallback` when the call gives none).
 * @throws HsmError("invalid_request") when it is longer than 255 bytes
 */
export function signContext(
  options: SignOptions | undefined,
  fallback: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const ctx = options?.context ?? fallback;
  if (!(ctx instanceof Uint8Array)) throw new TypeError("Context must be a Uint8Array");
  if (ctx.length > MAX_CONTEXT) {
    throw new HsmError("invalid_request", `Context must be at most ${MAX_CONTEXT} bytes`);
  }
  return ctx;
}

/** How a seed-based, synchronous (noble) provider is built. */
export interface SeedProviderSpec {
  /** Bytes of fresh seed material for `algorithm`; throws RangeError for a foreign one. */
  seedBytes(algorithm: Algorithm): number;
  /** Loads seed material synchronously (wiping it). */
  load(algorithm: Algorithm, material: Uint8Array): LoadedKey;
  /** Which calls run in the offload pool (all of them are synchronous JavaScript). */
  readonly offload: OffloadPolicy;
}

/**
 * A provider whose material is a random seed and whose keys are synchronous JavaScript
 * (ML-KEM, ML-DSA, SLH-DSA, hybrid KEMs): every failure is a rejection, never a throw.
 */
export function seedProvider(spec: SeedProviderSpec): Provider {
  return Object.freeze({
    generate(algorithm: Algorithm): Promise<Uint8Array> {
      try {
        return Promise.resolve(crypto.getRandomValues(new Uint8Array(spec.seedBytes(algorithm))));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    load(algorithm: Algorithm, material: Uint8Array): Promise<LoadedKey> {
      try {
        return Promise.resolve(spec.load(algorithm, material));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    offload(algorithm: Algorithm): OffloadPolicy {
      spec.seedBytes(algorithm);
      return spec.offload;
    },
  });
}
