/**
 * Composite ML-DSA signatures, draft-ietf-lamps-pq-composite-sigs-19 (April 2026):
 * `ML-DSA-65-EC-P256` is id-MLDSA65-ECDSA-P256-SHA512 (1.3.6.1.5.5.7.6.45) and
 * `ML-DSA-87-EC-P384` is id-MLDSA87-ECDSA-P384-SHA512 (1.3.6.1.5.5.7.6.49).
 *
 * Sign(sk, M, ctx): M′ = Prefix‖Label‖len(ctx)‖ctx‖SHA-512(M), with Prefix the ASCII bytes
 * of "CompositeAlgorithmSignatures2025" and Label the algorithm's signature label; the
 * signature is ML-DSA.Sign(M′, ctx = Label)‖ECDSA-Sig-Value DER of ECDSA over M′ (SHA-256
 * on P-256, SHA-384 on P-384). Verify accepts only when both components verify. With
 * `prehashed`, `data` is SHA-512(M) (the draft's external pre-hashing).
 *
 * Sealed material is the draft's private key mldsaSeed(32)‖ECPrivateKey (RFC 5915 DER with
 * the named curve, no public key). `load` builds the two component keys with the ML-DSA
 * and ECDSA providers (the EC scalar is checked against the curve and any embedded point),
 * so each secret lives where those providers keep it and `dispose()` wipes both. Public
 * keys: raw = mldsaPK‖uncompressed EC point, SPKI with the composite OID, an `AKP` JWK,
 * and both components (ML-DSA SPKI/JWK, EC SPKI/JWK).
 *
 * Security caveats: as for the component providers; the ML-DSA half is synchronous
 * JavaScript, so the provider asks for sign and verify to be offloaded. Verification stops
 * at the first failing component (no secret is involved).
 */

import { sha512 } from "@noble/hashes/sha2.js";
import { p256, p384 } from "@noble/curves/nist.js";
import type { Algorithm, HashName } from "../../domain/algorithms.ts";
import { concatBytes, fromBase64Url, utf8 } from "../encoding.ts";
import { HsmError } from "../../domain/errors.ts";
import type {
  LoadedKey,
  OffloadPolicy,
  Provider,
  PublicKeyExport,
  SignOptions,
} from "../provider.ts";
import { wipe } from "../zeroize.ts";
import { disposedKey, signContext, unreadableMaterial } from "./_common.ts";
import {
  type EcCurve,
  ecPkcs8,
  encodeEcPrivateKey,
  P256,
  P384,
  parseEcPrivateKey,
} from "./_ec_keys.ts";
import { ecdsaProvider, ecdsaVerifierFromSpki } from "./ecdsa.ts";
import { loadMlDsaKey, mlDsaPublicKey } from "./ml_dsa.ts";
import { akpExport, ecComponent, oidContents } from "./_pq_export.ts";

/** The composite algorithms of the API. */
export type CompositeAlgorithm = "ML-DSA-65-EC-P256" | "ML-DSA-87-EC-P384";

interface Params {
  readonly mlDsa: "ML-DSA-65" | "ML-DSA-87";
  readonly curve: EcCurve;
  readonly hash: HashName;
  readonly oid: Uint8Array;
  readonly label: Uint8Array;
  readonly mlDsaPublicKey: number;
  readonly mlDsaSignature: number;
  readonly validScalar: (scalar: Uint8Array) => boolean;
}

const PARAMS: Record<CompositeAlgorithm, Params> = Object.assign(Object.create(null), {
  "ML-DSA-65-EC-P256": Object.freeze({
    mlDsa: "ML-DSA-65",
    curve: P256,
    hash: "SHA-256",
    oid: oidContents("1.3.6.1.5.5.7.6.45"),
    label: utf8("COMPSIG-MLDSA65-ECDSA-P256-SHA512"),
    mlDsaPublicKey: 1952,
    mlDsaSignature: 3309,
    validScalar: (s: Uint8Array) => p256.utils.isValidSecretKey(s),
  }),
  "ML-DSA-87-EC-P384": Object.freeze({
    mlDsa: "ML-DSA-87",
    curve: P384,
    hash: "SHA-384",
    oid: oidContents("1.3.6.1.5.5.7.6.49"),
    label: utf8("COMPSIG-MLDSA87-ECDSA-P384-SHA512"),
    mlDsaPublicKey: 2592,
    mlDsaSignature: 4627,
    validScalar: (s: Uint8Array) => p384.utils.isValidSecretKey(s),
  }),
});
Object.freeze(PARAMS);

/** "CompositeAlgorithmSignatures2025" (draft §2.3). */
const PREFIX = utf8("CompositeAlgorithmSignatures2025");
const SEED_BYTES = 32;
const PH_BYTES = 64;

function paramsFor(algorithm: Algorithm): Params {
  if (!Object.hasOwn(PARAMS, algorithm)) {
    throw new RangeError(`Unsupported algorithm for the composite provider: ${algorithm}`);
  }
  return PARAMS[algorithm as CompositeAlgorithm];
}

/**
 * M′ = Prefix‖Label‖len(ctx)‖ctx‖PH(M) of a sign/verify call.
 * @throws HsmError("invalid_request") for a long context, a prehash or a bad digest
 */
function messageRepresentative(p: Params, data: Uint8Array, options?: SignOptions): Uint8Array {
  if (options?.prehash !== undefined) {
    throw new HsmError(
      "invalid_request",
      "Cannot use prehash with a composite key: it pre-hashes with SHA-512 itself",
    );
  }
  const ctx = signContext(options);
  if (options?.prehashed === true && data.length !== PH_BYTES) {
    throw new HsmError("invalid_request", `Digest must be ${PH_BYTES} bytes (SHA-512)`);
  }
  const ph = options?.prehashed === true ? data : sha512(data);
  return concatBytes(PREFIX, p.label, Uint8Array.of(ctx.length), ctx, ph);
}

/** The ECDSA options of the traditional component: the curve's hash over M′, DER. */
function ecOptions(p: Params): SignOptions {
  return { hash: p.hash, format: "der" };
}

/** Verifies both component signatures over M′ (false at the first that fails). */
async function verifyComposite(
  p: Params,
  [mlDsa, ec]: Components,
  data: Uint8Array,
  signature: Uint8Array,
  options: SignOptions | undefined,
): Promise<boolean> {
  const message = messageRepresentative(p, data, options);
  if (signature.length <= p.mlDsaSignature) return false;
  const pqSig = signature.subarray(0, p.mlDsaSignature);
  const tradSig = signature.subarray(p.mlDsaSignature);
  if (!(await call(mlDsa.verify, mlDsa)(message, pqSig, { context: p.label }))) return false;
  return await call(ec.verify, ec)(message, tradSig, ecOptions(p));
}

/** The composite public key (raw, SPKI, JWK) and both components. */
function exportComposite(
  algorithm: CompositeAlgorithm,
  p: Params,
  [mlDsa, ec]: Components,
): PublicKeyExport {
  const pq = call(mlDsa.publicKey, mlDsa)();
  const point = pointOf(call(ec.publicKey, ec)().jwk, p.curve);
  if (pq.raw === undefined) throw new TypeError("ML-DSA component export failed");
  return akpExport(algorithm, p.oid, concatBytes(pq.raw, point), [
    { algorithm: p.mlDsa, spki: pq.spki, jwk: pq.jwk, raw: pq.raw },
    ecComponent(p.curve.algorithm, p.curve.oid, point),
  ]);
}

/** The ML-DSA and ECDSA component keys, in serialization order. */
type Components = readonly [LoadedKey, LoadedKey];

/** A composite key over two component keys; `sign` exists only on private keys. */
class CompositeKey implements LoadedKey {
  readonly algorithm: CompositeAlgorithm;
  readonly #params: Params;
  #components: Components | undefined;

  constructor(algorithm: CompositeAlgorithm, components: Components) {
    this.algorithm = algorithm;
    this.#params = PARAMS[algorithm];
    this.#components = components;
  }

  verify(data: Uint8Array, signature: Uint8Array, options?: SignOptions): Promise<boolean> {
    try {
      return verifyComposite(this.#params, this.components(), data, signature, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  publicKey(): PublicKeyExport {
    return exportComposite(this.algorithm, this.#params, this.components());
  }

  dispose(): void {
    for (const key of this.#components ?? []) key.dispose();
    this.#components = undefined;
  }

  /** The live component keys. */
  protected components(): Components {
    if (this.#components === undefined) throw disposedKey();
    return this.#components;
  }
}

/** A composite key holding both private components (ML-DSA expanded key, EC key). */
class CompositePrivateKey extends CompositeKey {
  readonly #params: Params;

  constructor(algorithm: CompositeAlgorithm, components: Components) {
    super(algorithm, components);
    this.#params = PARAMS[algorithm];
  }

  async sign(data: Uint8Array, options?: SignOptions): Promise<Uint8Array> {
    const [mlDsa, ec] = this.components();
    const p = this.#params;
    const message = messageRepresentative(p, data, options);
    const pqSig = await call(mlDsa.sign, mlDsa)(message, { context: p.label });
    const tradSig = await call(ec.sign, ec)(message, ecOptions(p));
    return concatBytes(pqSig, tradSig);
  }
}

function call<F extends (...args: never[]) => unknown>(fn: F | undefined, self: LoadedKey): F {
  if (fn === undefined) throw new TypeError("Component key lacks a method");
  return fn.bind(self) as F;
}

/** The uncompressed point 04‖x‖y of an `EC` JWK. */
function pointOf(jwk: Record<string, unknown>, curve: EcCurve): Uint8Array {
  const x = fromBase64Url(String(jwk.x));
  const y = fromBase64Url(String(jwk.y));
  if (x?.length !== curve.size || y?.length !== curve.size) {
    throw new TypeError("EC component export failed");
  }
  return concatBytes(Uint8Array.of(0x04), x, y);
}

/**
 * Loads a key from the draft's serialized private key mldsaSeed‖ECPrivateKey. Wipes
 * `material` before returning.
 * @throws {HsmError} `integrity_error` when the material does not parse or the scalar is
 * invalid (or disagrees with an embedded public key).
 */
export async function loadCompositeKey(
  algorithm: Algorithm,
  material: Uint8Array,
): Promise<LoadedKey> {
  const p = paramsFor(algorithm);
  const copy = material.slice();
  wipe(material);
  let pkcs8: Uint8Array | undefined;
  let mlDsa: LoadedKey | undefined;
  try {
    const parsed = parseEcPrivateKey(p.curve, copy.subarray(SEED_BYTES));
    if (copy.length <= SEED_BYTES || parsed === undefined || !p.validScalar(parsed.scalar)) {
      throw unreadableMaterial();
    }
    pkcs8 = ecPkcs8(p.curve, copy.subarray(SEED_BYTES));
    mlDsa = loadMlDsaKey(p.mlDsa, copy.subarray(0, SEED_BYTES));
    const ec = await ecdsaProvider.load(p.curve.algorithm, pkcs8);
    const key = new CompositePrivateKey(algorithm as CompositeAlgorithm, [mlDsa, ec]);
    mlDsa = undefined;
    return key;
  } catch {
    mlDsa?.dispose();
    throw unreadableMaterial();
  } finally {
    wipe(copy, pkcs8);
  }
}

/**
 * Builds a verify-only key from the raw composite public key mldsaPK‖EC point (bytes
 * copied).
 * @throws {HsmError} `invalid_request` when either component is malformed.
 */
export async function compositePublicKey(
  algorithm: Algorithm,
  publicKey: Uint8Array,
): Promise<LoadedKey> {
  const p = paramsFor(algorithm);
  const point = publicKey.subarray(p.mlDsaPublicKey);
  if (publicKey.length !== p.mlDsaPublicKey + 1 + 2 * p.curve.size) {
    throw new HsmError("invalid_request", `Public key has the wrong length for ${algorithm}`);
  }
  const mlDsa = mlDsaPublicKey(p.mlDsa, publicKey.subarray(0, p.mlDsaPublicKey));
  const spki = ecComponent(p.curve.algorithm, p.curve.oid, point).spki;
  const ec = await ecdsaVerifierFromSpki(p.curve.algorithm, spki);
  return new CompositeKey(algorithm as CompositeAlgorithm, [mlDsa, ec]);
}

const ALWAYS_OFFLOAD: OffloadPolicy = Object.freeze({
  methods: Object.freeze(["sign", "verify"] as const),
});

/** The composite provider: material is mldsaSeed(32)‖ECPrivateKey DER. */
export const compositeSigProvider: Provider = Object.freeze({
  generate(algorithm: Algorithm): Promise<Uint8Array> {
    try {
      const p = paramsFor(algorithm);
      const curve = p.curve.algorithm === "EC-P256" ? p256 : p384;
      const scalar = curve.utils.randomSecretKey();
      const ecKey = encodeEcPrivateKey(p.curve, scalar);
      const out = concatBytes(crypto.getRandomValues(new Uint8Array(SEED_BYTES)), ecKey);
      wipe(scalar, ecKey);
      return Promise.resolve(out);
    } catch (err) {
      return Promise.reject(err);
    }
  },
  load: loadCompositeKey,
  /** The ML-DSA component is synchronous lattice arithmetic. */
  offload(algorithm: Algorithm): OffloadPolicy {
    paramsFor(algorithm);
    return ALWAYS_OFFLOAD;
  },
});
