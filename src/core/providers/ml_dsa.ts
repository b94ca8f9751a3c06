/**
 * ML-DSA (FIPS 204) provider for ML-DSA-44/65/87 on `@noble/post-quantum`.
 *
 * Sealed material is the 32-byte seed ξ; `load` expands it with ML-DSA.KeyGen_internal,
 * wipes the seed at once and keeps only the expanded secret key in a private buffer that
 * `dispose()` wipes. `sign` is pure ML-DSA.Sign (FIPS 204 Algorithm 2) over the whole
 * message with the call's context string (default empty) and hedged randomness (32 fresh
 * bytes per signature). With `prehash: "SHA-512"` it is HashML-DSA.Sign (FIPS 204
 * Algorithm 4) with SHA-512, over the message or, with `prehashed`, over the caller's
 * 64-byte SHA-512 digest; `prehashed` without `prehash` is refused. `verify` returns
 * false, never throws, for any malformed signature. Public keys are published as
 * SubjectPublicKeyInfo with the NIST OIDs (RFC 9881), as `kty: "AKP"` JWKs and raw.
 * All signing and verification is synchronous JavaScript: the provider asks for it to
 * be offloaded (`offload`).
 *
 * Security caveats: noble is pure JavaScript, so neither constant time nor the absence
 * of stray copies of secrets can be guaranteed.
 */

import { sha512 } from "@noble/hashes/sha2.js";
import { shake256 } from "@noble/hashes/sha3.js";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import type { Algorithm } from "../../domain/algorithms.ts";
import { DER_TAG, encodeBitString, encodeDer } from "../asn1.ts";
import { toBase64Url } from "../encoding.ts";
import { HsmError } from "../../domain/errors.ts";
import type { LoadedKey, Provider, PublicKeyExport, SignOptions } from "../provider.ts";
import { timingSafeEqual, wipe } from "../zeroize.ts";
import { disposedKey, seedProvider, signContext, unreadableMaterial } from "./_common.ts";

/** The ML-DSA parameter sets of the API. */
export type MlDsaAlgorithm = "ML-DSA-44" | "ML-DSA-65" | "ML-DSA-87";

/** Fills a buffer with random bytes (the OS CSPRNG unless a known-answer test injects one). */
export type RandomFill = (buf: Uint8Array) => void;

/** Options for keys built outside the provider (vector tests and self-tests). */
export interface MlDsaKeyOptions {
  /**
   * Source of the 32-byte signing randomness rnd; default crypto.getRandomValues. A source
   * that fills zeros gives FIPS 204's deterministic variant (known-answer tests only).
   */
  readonly random?: RandomFill;
  /** FIPS 204 context string ctx (at most 255 bytes) used when a call gives none; default empty. */
  readonly context?: Uint8Array;
}

type Dsa = typeof ml_dsa65;

interface Params {
  readonly dsa: Dsa;
  /** Last arc of the OID 2.16.840.1.101.3.4.3.x. */
  readonly oidArc: number;
  readonly publicKey: number;
  readonly secretKey: number;
  readonly signature: number;
}

function params(dsa: Dsa, oidArc: number): Params {
  return Object.freeze({
    dsa,
    oidArc,
    publicKey: dsa.lengths.publicKey ?? 0,
    secretKey: dsa.lengths.secretKey ?? 0,
    signature: dsa.lengths.signature ?? 0,
  });
}

const PARAMS: Record<MlDsaAlgorithm, Params> = Object.assign(Object.create(null), {
  "ML-DSA-44": params(ml_dsa44, 0x11),
  "ML-DSA-65": params(ml_dsa65, 0x12),
  "ML-DSA-87": params(ml_dsa87, 0x13),
});
Object.freeze(PARAMS);

const SEED_BYTES = 32;
const RND_BYTES = 32;
const MAX_CONTEXT = 255;
const EMPTY = new Uint8Array(0);

function paramsFor(algorithm: Algorithm): Params {
  if (!Object.hasOwn(PARAMS, algorithm)) {
    throw new RangeError(`Unsupported algorithm for the ML-DSA provider: ${algorithm}`);
  }
  return PARAMS[algorithm as MlDsaAlgorithm];
}

function osRandom(buf: Uint8Array): void {
  crypto.getRandomValues(buf);
}

function checkedContext(options: MlDsaKeyOptions): Uint8Array {
  const ctx = options.context ?? EMPTY;
  if (ctx.length > MAX_CONTEXT) {
    throw new HsmError("invalid_request", `Context must be at most ${MAX_CONTEXT} bytes`);
  }
  return ctx.slice();
}

/** DER of id-sha512 (2.16.840.1.101.3.4.2.3), the OID field of HashML-DSA's M′. */
const SHA512_OID_DER = Uint8Array.of(
  0x06,
  0x09,
  0x60,
  0x86,
  0x48,
  0x01,
  0x65,
  0x03,
  0x04,
  0x02,
  0x03,
);
const SHA512_BYTES = 64;

/**
 * How a sign/verify call formats its message: pure ML-DSA (noble formats M′ itself), or
 * HashML-DSA, for which this returns M′ = 1‖|ctx|‖ctx‖OID‖PH(M) (FIPS 204 Algorithm 4).
 */
function hashMessage(data: Uint8Array, ctx: Uint8Array, options: SignOptions | undefined) {
  if (options?.prehash === undefined) {
    if (options?.prehashed === true) {
      throw new HsmError(
        "invalid_request",
        "ML-DSA signs whole messages: digests need prehash SHA-512 (HashML-DSA)",
      );
    }
    return undefined;
  }
  if (options.prehash !== "SHA-512") {
    throw new HsmError("invalid_request", "Prehash must be SHA-512");
  }
  if (options.prehashed === true && data.length !== SHA512_BYTES) {
    throw new HsmError("invalid_request", `Digest must be ${SHA512_BYTES} bytes for SHA-512`);
  }
  const digest = options.prehashed === true ? data : sha512(data);
  const out = new Uint8Array(2 + ctx.length + SHA512_OID_DER.length + SHA512_BYTES);
  out[0] = 1;
  out[1] = ctx.length;
  out.set(ctx, 2);
  out.set(SHA512_OID_DER, 2 + ctx.length);
  out.set(digest, 2 + ctx.length + SHA512_OID_DER.length);
  return out;
}

/** DER contents of the OID 2.16.840.1.101.3.4.3.x (NIST algorithm arc). */
function oidContents(arc: number): Uint8Array {
  return Uint8Array.of(0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, arc);
}

/** SPKI DER: SEQUENCE { SEQUENCE { OID }, BIT STRING pk } (no parameters). */
function spkiDer(oidArc: number, pk: Uint8Array): Uint8Array {
  const algId = encodeDer(DER_TAG.sequence, encodeDer(DER_TAG.oid, oidContents(oidArc)));
  return encodeDer(DER_TAG.sequence, algId, encodeBitString(pk));
}

function exportPublic(algorithm: MlDsaAlgorithm, p: Params, pk: Uint8Array): PublicKeyExport {
  return {
    spki: spkiDer(p.oidArc, pk),
    jwk: { kty: "AKP", alg: algorithm, pub: toBase64Url(pk) },
    raw: pk.slice(),
  };
}

function verifyWith(
  p: Params,
  pk: Uint8Array,
  ctx: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
  options: SignOptions | undefined,
): Promise<boolean> {
  let hashed: Uint8Array | undefined;
  let context: Uint8Array;
  try {
    context = signContext(options, ctx);
    hashed = hashMessage(data, context, options);
  } catch (err) {
    return Promise.reject(err);
  }
  if (signature.length !== p.signature) return Promise.resolve(false);
  try {
    return Promise.resolve(
      hashed === undefined
        ? p.dsa.verify(signature, data, pk, { context })
        : p.dsa.internal.verify(signature, hashed, pk),
    );
  } catch {
    return Promise.resolve(false);
  }
}

/** A key that can only verify (built from a public key). */
class MlDsaPublicKey implements LoadedKey {
  readonly algorithm: MlDsaAlgorithm;
  #params: Params;
  #pk: Uint8Array;
  #ctx: Uint8Array;

  constructor(algorithm: MlDsaAlgorithm, pk: Uint8Array, ctx: Uint8Array) {
    this.algorithm = algorithm;
    this.#params = PARAMS[algorithm];
    this.#pk = pk;
    this.#ctx = ctx;
  }

  verify(data: Uint8Array, signature: Uint8Array, options?: SignOptions): Promise<boolean> {
    return verifyWith(this.#params, this.#pk, this.#ctx, data, signature, options);
  }

  publicKey(): PublicKeyExport {
    return exportPublic(this.algorithm, this.#params, this.#pk);
  }

  dispose(): void {}
}

/** A full ML-DSA key holding the expanded secret key privately. */
class MlDsaPrivateKey implements LoadedKey {
  readonly algorithm: MlDsaAlgorithm;
  #params: Params;
  #sk: Uint8Array | undefined;
  #pk: Uint8Array;
  #ctx: Uint8Array;
  #random: RandomFill;

  constructor(
    algorithm: MlDsaAlgorithm,
    keys: { sk: Uint8Array; pk: Uint8Array },
    ctx: Uint8Array,
    random: RandomFill,
  ) {
    this.algorithm = algorithm;
    this.#params = PARAMS[algorithm];
    this.#sk = keys.sk;
    this.#pk = keys.pk;
    this.#ctx = ctx;
    this.#random = random;
  }

  sign(data: Uint8Array, options?: SignOptions): Promise<Uint8Array> {
    const sk = this.#secret();
    const rnd = new Uint8Array(RND_BYTES);
    try {
      const context = signContext(options, this.#ctx);
      const hashed = hashMessage(data, context, options);
      this.#random(rnd);
      return Promise.resolve(
        hashed === undefined
          ? this.#params.dsa.sign(data, sk, { extraEntropy: rnd, context })
          : this.#params.dsa.internal.sign(hashed, sk, { extraEntropy: rnd }),
      );
    } catch (err) {
      return Promise.reject(err);
    } finally {
      wipe(rnd);
    }
  }

  verify(data: Uint8Array, signature: Uint8Array, options?: SignOptions): Promise<boolean> {
    this.#secret();
    return verifyWith(this.#params, this.#pk, this.#ctx, data, signature, options);
  }

  publicKey(): PublicKeyExport {
    return exportPublic(this.algorithm, this.#params, this.#pk);
  }

  dispose(): void {
    wipe(this.#sk);
    this.#sk = undefined;
  }

  #secret(): Uint8Array {
    if (this.#sk === undefined) throw disposedKey();
    return this.#sk;
  }
}

/**
 * Loads a key from its 32-byte seed ξ. Wipes `seed` before returning.
 * @throws {HsmError} `integrity_error` when the seed is not 32 bytes.
 */
export function loadMlDsaKey(
  algorithm: Algorithm,
  seed: Uint8Array,
  options: MlDsaKeyOptions = {},
): LoadedKey {
  const copy = seed.slice();
  wipe(seed);
  try {
    const p = paramsFor(algorithm);
    if (copy.length !== SEED_BYTES) {
      throw unreadableMaterial();
    }
    const ctx = checkedContext(options);
    const { secretKey, publicKey } = p.dsa.keygen(copy);
    return new MlDsaPrivateKey(
      algorithm as MlDsaAlgorithm,
      { sk: secretKey, pk: publicKey },
      ctx,
      options.random ?? osRandom,
    );
  } finally {
    wipe(copy);
  }
}

/**
 * Imports an expanded FIPS 204 secret key sk (as ACVP and Wycheproof publish it); its
 * coefficients are range-checked by deriving the public key, whose hash must equal the
 * embedded tr. The bytes are copied.
 * Sealed FerroHSM material is always the seed; this exists for interop and vector tests.
 * @throws {HsmError} `invalid_request` when sk has the wrong length or does not decode.
 */
export function importMlDsaSecretKey(
  algorithm: Algorithm,
  sk: Uint8Array,
  options: MlDsaKeyOptions = {},
): LoadedKey {
  const p = paramsFor(algorithm);
  if (sk.length !== p.secretKey) {
    throw new HsmError(
      "invalid_request",
      `Secret key must be ${p.secretKey} bytes for ${algorithm}`,
    );
  }
  const ctx = checkedContext(options);
  const copy = sk.slice();
  let pk: Uint8Array | undefined;
  try {
    pk = p.dsa.getPublicKey(copy);
  } catch {
    pk = undefined;
  }
  // sk = ρ‖K‖tr‖…: tr must be H(pk) (SHAKE256, 64 bytes) of the key the coefficients give.
  if (pk === undefined || !timingSafeEqual(shake256(pk, { dkLen: 64 }), copy.subarray(64, 128))) {
    wipe(copy);
    throw new HsmError("invalid_request", "Secret key is invalid");
  }
  return new MlDsaPrivateKey(
    algorithm as MlDsaAlgorithm,
    { sk: copy, pk },
    ctx,
    options.random ?? osRandom,
  );
}

/**
 * Builds a verify-only key from raw public key bytes (FIPS 204 pkEncode). The bytes are
 * copied. `options.context` binds a FIPS 204 context string to every verification.
 * @throws {HsmError} `invalid_request` when the key has the wrong length or the context is too long.
 */
export function mlDsaPublicKey(
  algorithm: Algorithm,
  publicKey: Uint8Array,
  options: Pick<MlDsaKeyOptions, "context"> = {},
): LoadedKey {
  const p = paramsFor(algorithm);
  if (publicKey.length !== p.publicKey) {
    throw new HsmError(
      "invalid_request",
      `Public key must be ${p.publicKey} bytes for ${algorithm}`,
    );
  }
  return new MlDsaPublicKey(
    algorithm as MlDsaAlgorithm,
    publicKey.slice(),
    checkedContext(options),
  );
}

/** The ML-DSA provider: material is the 32-byte FIPS 204 seed ξ. */
export const mlDsaProvider: Provider = seedProvider({
  seedBytes: (algorithm) => (paramsFor(algorithm), SEED_BYTES),
  load: loadMlDsaKey,
  /** Every signature and verification is synchronous lattice arithmetic. */
  offload: Object.freeze({ methods: Object.freeze(["sign", "verify"] as const) }),
});
