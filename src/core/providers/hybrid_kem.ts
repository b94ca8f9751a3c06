/**
 * Hybrid post-quantum/traditional KEMs on `@noble/post-quantum/hybrid`:
 * `ML-KEM-768-X25519` is X-Wing (draft-connolly-cfrg-xwing-kem-10); `ML-KEM-768-P256`
 * and `ML-KEM-1024-P384` are MLKEM768-P256 and MLKEM1024-P384 of
 * draft-irtf-cfrg-concrete-hybrid-kems-04 (the CG framework of draft-irtf-cfrg-hybrid-kems:
 * SHAKE256 expands the seed, SHA3-256 combines both shared secrets with the traditional
 * ciphertext, the traditional public key and the label).
 *
 * Sealed material is the 32-byte decapsulation seed, which is also what `load` keeps (in
 * a private buffer `dispose()` wipes): each decapsulation re-expands it, and noble wipes
 * the expanded component keys after each call. Public keys are published raw (the
 * concatenation ek_PQ‖ek_T), as an `AKP` JWK, as components (ML-KEM SPKI plus X25519 or
 * EC SPKI/JWK) and as SPKI: X-Wing with its draft OID 1.3.6.1.4.1.62253.25722; the two
 * NIST-curve hybrids have no registered OID, so FerroHSM uses UUID-based OIDs under 2.25
 * (ITU-T X.667) that only FerroHSM understands until one is assigned.
 *
 * Security caveats: noble is pure JavaScript, so neither constant time nor the absence of
 * stray copies of secrets can be guaranteed. ML-KEM decapsulation rejects implicitly; a
 * ciphertext whose traditional half is not a valid point is refused with one vague error.
 * Everything here is synchronous: the provider asks for it to be offloaded.
 */

import { p256, p384 } from "@noble/curves/nist.js";
import { ml_kem1024_p384, ml_kem768_p256, ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js";
import type { Algorithm } from "../../domain/algorithms.ts";
import { HsmError } from "../../domain/errors.ts";
import type {
  ComponentPublicKey,
  Encapsulation,
  LoadedKey,
  Provider,
  PublicKeyExport,
} from "../provider.ts";
import { wipe } from "../zeroize.ts";
import { disposedKey, seedProvider, unreadableMaterial } from "./_common.ts";
import { P256, P384 } from "./_ec_keys.ts";
import { mlKemPublicKey } from "./ml_kem.ts";
import {
  akpExport,
  ecComponent,
  oidContents,
  osRandom,
  type RandomFill,
  x25519Component,
} from "./_pq_export.ts";

/** The hybrid KEMs of the API. */
export type HybridKemAlgorithm = "ML-KEM-768-X25519" | "ML-KEM-768-P256" | "ML-KEM-1024-P384";

/** Options for keys built outside the provider (vector tests and self-tests). */
export interface HybridKemKeyOptions {
  /** Source of the encapsulation randomness (eseed); default crypto.getRandomValues. */
  readonly random?: RandomFill;
}

type Kem = typeof ml_kem768_x25519;

interface Params {
  readonly kem: Kem;
  readonly oid: Uint8Array;
  readonly pq: "ML-KEM-768" | "ML-KEM-1024";
  /** Length of the ML-KEM encapsulation key, where the traditional key starts. */
  readonly pqPublicKey: number;
  readonly publicKey: number;
  readonly cipherText: number;
  readonly randomBytes: number;
  /** Validates the traditional public key (a point on the curve; any 32 bytes for X25519). */
  readonly tradValid: (key: Uint8Array) => boolean;
  readonly tradComponent: (key: Uint8Array) => ComponentPublicKey;
}

function params(
  kem: Kem,
  oid: string,
  pq: Params["pq"],
  trad: Pick<Params, "tradValid" | "tradComponent">,
): Params {
  return Object.freeze({
    kem,
    oid: oidContents(oid),
    pq,
    pqPublicKey: pq === "ML-KEM-768" ? 1184 : 1568,
    publicKey: kem.lengths.publicKey ?? 0,
    cipherText: kem.lengths.cipherText ?? 0,
    randomBytes: kem.lengths.msgRand ?? 0,
    ...trad,
  });
}

const PARAMS: Record<HybridKemAlgorithm, Params> = Object.assign(Object.create(null), {
  "ML-KEM-768-X25519": params(ml_kem768_x25519, "1.3.6.1.4.1.62253.25722", "ML-KEM-768", {
    tradValid: (key) => key.length === 32,
    tradComponent: x25519Component,
  }),
  "ML-KEM-768-P256": params(
    ml_kem768_p256,
    "2.25.253925054674356521562977464757679854245",
    "ML-KEM-768",
    {
      tradValid: (key) => key[0] === 0x04 && p256.utils.isValidPublicKey(key, false),
      tradComponent: (key) => ecComponent("EC-P256", P256.oid, key),
    },
  ),
  "ML-KEM-1024-P384": params(
    ml_kem1024_p384,
    "2.25.224041980373696046662136512582006325869",
    "ML-KEM-1024",
    {
      tradValid: (key) => key[0] === 0x04 && p384.utils.isValidPublicKey(key, false),
      tradComponent: (key) => ecComponent("EC-P384", P384.oid, key),
    },
  ),
});
Object.freeze(PARAMS);

const SEED_BYTES = 32;

function paramsFor(algorithm: Algorithm): Params {
  if (!Object.hasOwn(PARAMS, algorithm)) {
    throw new RangeError(`Unsupported algorithm for the hybrid KEM provider: ${algorithm}`);
  }
  return PARAMS[algorithm as HybridKemAlgorithm];
}

function exportPublic(algorithm: HybridKemAlgorithm, p: Params, pk: Uint8Array): PublicKeyExport {
  const pq = mlKemPublicKey(p.pq, pk.subarray(0, p.pqPublicKey)).publicKey?.();
  if (pq?.raw === undefined) throw new TypeError("ML-KEM component export failed");
  const components = [
    { algorithm: p.pq, spki: pq.spki, jwk: pq.jwk, raw: pq.raw },
    p.tradComponent(pk.subarray(p.pqPublicKey)),
  ];
  return akpExport(algorithm, p.oid, pk, components);
}

function encapsulateTo(p: Params, pk: Uint8Array, random: RandomFill): Encapsulation {
  const eseed = new Uint8Array(p.randomBytes);
  try {
    random(eseed);
    const { cipherText, sharedSecret } = p.kem.encapsulate(pk, eseed);
    return { ciphertext: cipherText, sharedSecret };
  } finally {
    wipe(eseed);
  }
}

/** An encapsulate-only key (built from a public key), or the public half of a full key. */
class HybridKemPublicKey implements LoadedKey {
  readonly algorithm: HybridKemAlgorithm;
  readonly #params: Params;
  readonly #pk: Uint8Array;
  readonly #random: RandomFill;

  constructor(algorithm: HybridKemAlgorithm, pk: Uint8Array, random: RandomFill) {
    this.algorithm = algorithm;
    this.#params = PARAMS[algorithm];
    this.#pk = pk;
    this.#random = random;
  }

  encapsulate(): Promise<Encapsulation> {
    try {
      return Promise.resolve(encapsulateTo(this.#params, this.#pk, this.#random));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  publicKey(): PublicKeyExport {
    return exportPublic(this.algorithm, this.#params, this.#pk);
  }

  dispose(): void {}
}

/** A full hybrid key holding its 32-byte decapsulation seed privately. */
class HybridKemPrivateKey implements LoadedKey {
  readonly algorithm: HybridKemAlgorithm;
  readonly #params: Params;
  readonly #public: HybridKemPublicKey;
  #seed: Uint8Array | undefined;

  constructor(algorithm: HybridKemAlgorithm, seed: Uint8Array, pk: Uint8Array, random: RandomFill) {
    this.algorithm = algorithm;
    this.#params = PARAMS[algorithm];
    this.#seed = seed;
    this.#public = new HybridKemPublicKey(algorithm, pk, random);
  }

  encapsulate(): Promise<Encapsulation> {
    if (this.#seed === undefined) return Promise.reject(disposedKey());
    return this.#public.encapsulate();
  }

  decapsulate(ciphertext: Uint8Array): Promise<Uint8Array> {
    const seed = this.#seed;
    if (seed === undefined) return Promise.reject(disposedKey());
    const p = this.#params;
    if (ciphertext.length !== p.cipherText) {
      return Promise.reject(
        new HsmError(
          "invalid_request",
          `Ciphertext must be ${p.cipherText} bytes for ${this.algorithm}`,
        ),
      );
    }
    try {
      return Promise.resolve(p.kem.decapsulate(ciphertext, seed));
    } catch {
      return Promise.reject(new HsmError("invalid_request", "Ciphertext is invalid"));
    }
  }

  publicKey(): PublicKeyExport {
    if (this.#seed === undefined) throw disposedKey();
    return this.#public.publicKey();
  }

  dispose(): void {
    wipe(this.#seed);
    this.#seed = undefined;
  }
}

/**
 * Loads a key from its 32-byte decapsulation seed. Wipes `seed` before returning.
 * @throws {HsmError} `integrity_error` when the seed is not 32 bytes.
 */
export function loadHybridKemKey(
  algorithm: Algorithm,
  seed: Uint8Array,
  options: HybridKemKeyOptions = {},
): LoadedKey {
  const copy = seed.slice();
  wipe(seed);
  let keys: { secretKey: Uint8Array; publicKey: Uint8Array } | undefined;
  try {
    const p = paramsFor(algorithm);
    if (copy.length !== SEED_BYTES) throw unreadableMaterial();
    try {
      keys = p.kem.keygen(copy);
    } catch {
      throw unreadableMaterial();
    }
    const key = new HybridKemPrivateKey(
      algorithm as HybridKemAlgorithm,
      keys.secretKey,
      keys.publicKey,
      options.random ?? osRandom,
    );
    keys = undefined; // the seed copy now belongs to the key
    return key;
  } finally {
    wipe(copy, keys?.secretKey);
  }
}

/**
 * Builds an encapsulate-only key from a raw public key ek_PQ‖ek_T, after checking its
 * length, the ML-KEM part (FIPS 203 §7.2) and the traditional point. The bytes are copied.
 * @throws {HsmError} `invalid_request` when the key is malformed.
 */
export function hybridKemPublicKey(
  algorithm: Algorithm,
  publicKey: Uint8Array,
  options: HybridKemKeyOptions = {},
): LoadedKey {
  const p = paramsFor(algorithm);
  if (publicKey.length !== p.publicKey) {
    throw new HsmError(
      "invalid_request",
      `Public key must be ${p.publicKey} bytes for ${algorithm}`,
    );
  }
  mlKemPublicKey(p.pq, publicKey.subarray(0, p.pqPublicKey));
  if (!p.tradValid(publicKey.subarray(p.pqPublicKey))) {
    throw new HsmError("invalid_request", "Public key is invalid");
  }
  return new HybridKemPublicKey(
    algorithm as HybridKemAlgorithm,
    publicKey.slice(),
    options.random ?? osRandom,
  );
}

/** The hybrid KEM provider: material is the 32-byte decapsulation seed. */
export const hybridKemProvider: Provider = seedProvider({
  seedBytes: (algorithm) => (paramsFor(algorithm), SEED_BYTES),
  load: loadHybridKemKey,
  /** Key expansion, encapsulation and decapsulation are synchronous JavaScript. */
  offload: Object.freeze({ methods: Object.freeze(["encapsulate", "decapsulate"] as const) }),
});
