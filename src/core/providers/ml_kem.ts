/**
 * ML-KEM (FIPS 203) provider for ML-KEM-512/768/1024 on `@noble/post-quantum`.
 *
 * Sealed material is the 64-byte seed d‖z; `load` expands it with ML-KEM.KeyGen_internal,
 * wipes the seed at once and keeps only the expanded decapsulation key in a private
 * buffer that `dispose()` wipes. Public keys are published as SubjectPublicKeyInfo with
 * the NIST OIDs (draft-ietf-lamps-kyber-certificates), as `kty: "AKP"` JWKs and raw.
 * Encapsulation and decapsulation are synchronous JavaScript: the provider asks for them
 * to be offloaded (`offload`).
 *
 * Security caveats: noble is pure JavaScript, so neither constant time nor the absence
 * of stray copies of secrets can be guaranteed; decapsulation uses implicit rejection
 * (a forged ciphertext of the right length yields a pseudo-random secret, never an
 * error). Encapsulation keys are checked as FIPS 203 §7.2 requires (length, modulus) and
 * imported decapsulation keys as §7.3 requires (length, H(ek) hash).
 */

import { sha3_256 } from "@noble/hashes/sha3.js";
import { ml_kem1024, ml_kem512, ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import type { Algorithm } from "../../domain/algorithms.ts";
import { DER_TAG, encodeBitString, encodeDer } from "../asn1.ts";
import { toBase64Url } from "../encoding.ts";
import { HsmError } from "../../domain/errors.ts";
import type { Encapsulation, LoadedKey, Provider, PublicKeyExport } from "../provider.ts";
import { timingSafeEqual, wipe } from "../zeroize.ts";
import { disposedKey, seedProvider, unreadableMaterial } from "./_common.ts";

/** The ML-KEM parameter sets of the API. */
export type MlKemAlgorithm = "ML-KEM-512" | "ML-KEM-768" | "ML-KEM-1024";

/** Fills a buffer with random bytes (the OS CSPRNG unless a known-answer test injects one). */
export type RandomFill = (buf: Uint8Array) => void;

/** Options for keys built outside the provider (vector tests and self-tests). */
export interface MlKemKeyOptions {
  /** Source of the 32-byte encapsulation randomness m; default crypto.getRandomValues. */
  readonly random?: RandomFill;
}

type Kem = typeof ml_kem768;

interface Params {
  readonly kem: Kem;
  /** Last arc of the OID 2.16.840.1.101.3.4.4.x. */
  readonly oidArc: number;
  readonly k: number;
  readonly publicKey: number;
  readonly secretKey: number;
  readonly cipherText: number;
}

function params(kem: Kem, oidArc: number, k: number): Params {
  return Object.freeze({
    kem,
    oidArc,
    k,
    publicKey: 384 * k + 32,
    secretKey: 768 * k + 96,
    cipherText: kem.lengths.cipherText ?? 0,
  });
}

const PARAMS: Record<MlKemAlgorithm, Params> = Object.assign(Object.create(null), {
  "ML-KEM-512": params(ml_kem512, 1, 2),
  "ML-KEM-768": params(ml_kem768, 2, 3),
  "ML-KEM-1024": params(ml_kem1024, 3, 4),
});
Object.freeze(PARAMS);

const Q = 3329;
const SEED_BYTES = 64;
const MSG_BYTES = 32;

function paramsFor(algorithm: Algorithm): Params {
  if (!Object.hasOwn(PARAMS, algorithm)) {
    throw new RangeError(`Unsupported algorithm for the ML-KEM provider: ${algorithm}`);
  }
  return PARAMS[algorithm as MlKemAlgorithm];
}

function osRandom(buf: Uint8Array): void {
  crypto.getRandomValues(buf);
}

/** FIPS 203 §7.2 modulus check: every 12-bit coefficient of ek's t̂ part is below q. */
function modulusOk(p: Params, ek: Uint8Array): boolean {
  let bad = 0;
  for (let i = 0; i < 384 * p.k; i += 3) {
    const b0 = ek[i] as number;
    const b1 = ek[i + 1] as number;
    const b2 = ek[i + 2] as number;
    const lo = b0 | ((b1 & 0x0f) << 8);
    const hi = (b1 >> 4) | (b2 << 4);
    bad |= (lo >= Q ? 1 : 0) | (hi >= Q ? 1 : 0);
  }
  return bad === 0;
}

/** DER contents of the OID 2.16.840.1.101.3.4.4.x (NIST algorithm arc). */
function oidContents(arc: number): Uint8Array {
  return Uint8Array.of(0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, arc);
}

/** SPKI DER: SEQUENCE { SEQUENCE { OID }, BIT STRING ek } (no parameters). */
function spkiDer(oidArc: number, ek: Uint8Array): Uint8Array {
  const algId = encodeDer(DER_TAG.sequence, encodeDer(DER_TAG.oid, oidContents(oidArc)));
  return encodeDer(DER_TAG.sequence, algId, encodeBitString(ek));
}

function exportPublic(algorithm: MlKemAlgorithm, p: Params, ek: Uint8Array): PublicKeyExport {
  return {
    spki: spkiDer(p.oidArc, ek),
    jwk: { kty: "AKP", alg: algorithm, pub: toBase64Url(ek) },
    raw: ek.slice(),
  };
}

function encapsulateTo(p: Params, ek: Uint8Array, random: RandomFill): Encapsulation {
  const m = new Uint8Array(MSG_BYTES);
  try {
    random(m);
    const { cipherText, sharedSecret } = p.kem.encapsulate(ek, m);
    // noble returns a view into a larger scratch buffer: copy it out and wipe the view.
    const secret = sharedSecret.slice();
    wipe(sharedSecret);
    return { ciphertext: cipherText, sharedSecret: secret };
  } finally {
    wipe(m);
  }
}

/** A key that can only encapsulate (built from a public encapsulation key). */
class MlKemPublicKey implements LoadedKey {
  readonly algorithm: MlKemAlgorithm;
  #params: Params;
  #ek: Uint8Array;
  #random: RandomFill;

  constructor(algorithm: MlKemAlgorithm, ek: Uint8Array, random: RandomFill) {
    this.algorithm = algorithm;
    this.#params = PARAMS[algorithm];
    this.#ek = ek;
    this.#random = random;
  }

  encapsulate(): Promise<Encapsulation> {
    return Promise.resolve(encapsulateTo(this.#params, this.#ek, this.#random));
  }

  publicKey(): PublicKeyExport {
    return exportPublic(this.algorithm, this.#params, this.#ek);
  }

  dispose(): void {}
}

/** A full ML-KEM key holding the expanded decapsulation key privately. */
class MlKemPrivateKey implements LoadedKey {
  readonly algorithm: MlKemAlgorithm;
  #params: Params;
  #dk: Uint8Array | undefined;
  #ek: Uint8Array;
  #random: RandomFill;

  constructor(algorithm: MlKemAlgorithm, dk: Uint8Array, ek: Uint8Array, random: RandomFill) {
    this.algorithm = algorithm;
    this.#params = PARAMS[algorithm];
    this.#dk = dk;
    this.#ek = ek;
    this.#random = random;
  }

  encapsulate(): Promise<Encapsulation> {
    this.#secret();
    return Promise.resolve(encapsulateTo(this.#params, this.#ek, this.#random));
  }

  decapsulate(ciphertext: Uint8Array): Promise<Uint8Array> {
    const dk = this.#secret();
    if (ciphertext.length !== this.#params.cipherText) {
      return Promise.reject(
        new HsmError(
          "invalid_request",
          `Ciphertext must be ${this.#params.cipherText} bytes for ${this.algorithm}`,
        ),
      );
    }
    const shared = this.#params.kem.decapsulate(ciphertext, dk);
    const out = shared.slice();
    wipe(shared);
    return Promise.resolve(out);
  }

  publicKey(): PublicKeyExport {
    return exportPublic(this.algorithm, this.#params, this.#ek);
  }

  dispose(): void {
    wipe(this.#dk);
    this.#dk = undefined;
  }

  #secret(): Uint8Array {
    if (this.#dk === undefined) throw disposedKey();
    return this.#dk;
  }
}

/**
 * Loads a key from its 64-byte seed d‖z. Wipes `seed` before returning.
 * @throws {HsmError} `integrity_error` when the seed is not 64 bytes.
 */
export function loadMlKemKey(
  algorithm: Algorithm,
  seed: Uint8Array,
  options: MlKemKeyOptions = {},
): LoadedKey {
  const copy = seed.slice();
  wipe(seed);
  try {
    const p = paramsFor(algorithm);
    if (copy.length !== SEED_BYTES) {
      throw unreadableMaterial();
    }
    const { secretKey, publicKey } = p.kem.keygen(copy);
    return new MlKemPrivateKey(
      algorithm as MlKemAlgorithm,
      secretKey,
      publicKey,
      options.random ?? osRandom,
    );
  } finally {
    wipe(copy);
  }
}

/**
 * Imports an expanded FIPS 203 decapsulation key dk (as ACVP and Wycheproof publish it),
 * after the §7.3 input checks. The bytes are copied; the caller keeps ownership of `dk`.
 * Sealed FerroHSM material is always the seed; this exists for interop and vector tests.
 * @throws {HsmError} `invalid_request` when dk has the wrong length or fails the hash check.
 */
export function importMlKemDecapsulationKey(
  algorithm: Algorithm,
  dk: Uint8Array,
  options: MlKemKeyOptions = {},
): LoadedKey {
  const p = paramsFor(algorithm);
  if (dk.length !== p.secretKey) {
    throw new HsmError(
      "invalid_request",
      `Decapsulation key must be ${p.secretKey} bytes for ${algorithm}`,
    );
  }
  const ekStart = 384 * p.k;
  const ek = dk.slice(ekStart, ekStart + p.publicKey);
  const hash = dk.subarray(ekStart + p.publicKey, ekStart + p.publicKey + 32);
  if (!timingSafeEqual(sha3_256(ek), hash) || !modulusOk(p, ek)) {
    throw new HsmError("invalid_request", "Decapsulation key is invalid");
  }
  return new MlKemPrivateKey(
    algorithm as MlKemAlgorithm,
    dk.slice(),
    ek,
    options.random ?? osRandom,
  );
}

/**
 * Builds an encapsulate-only key from a public encapsulation key ek, after the FIPS 203
 * §7.2 input checks (length and modulus). The bytes are copied.
 * @throws {HsmError} `invalid_request` when ek has the wrong length or is not reduced mod q.
 */
export function mlKemPublicKey(
  algorithm: Algorithm,
  ek: Uint8Array,
  options: MlKemKeyOptions = {},
): LoadedKey {
  const p = paramsFor(algorithm);
  if (ek.length !== p.publicKey) {
    throw new HsmError(
      "invalid_request",
      `Encapsulation key must be ${p.publicKey} bytes for ${algorithm}`,
    );
  }
  if (!modulusOk(p, ek)) throw new HsmError("invalid_request", "Encapsulation key is invalid");
  return new MlKemPublicKey(algorithm as MlKemAlgorithm, ek.slice(), options.random ?? osRandom);
}

/** The ML-KEM provider: material is the 64-byte FIPS 203 seed d‖z. */
export const mlKemProvider: Provider = seedProvider({
  seedBytes: (algorithm) => (paramsFor(algorithm), SEED_BYTES),
  load: loadMlKemKey,
  /** Encapsulation and decapsulation are synchronous lattice arithmetic. */
  offload: Object.freeze({ methods: Object.freeze(["encapsulate", "decapsulate"] as const) }),
});
