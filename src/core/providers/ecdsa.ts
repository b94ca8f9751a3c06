/**
 * ECDSA provider for EC-P256 and EC-P384. Material is PKCS#8 DER (RFC 5208 + RFC 5915).
 * Messages are signed and verified with Web Crypto and a non-extractable key. Web Crypto
 * cannot sign a caller-supplied digest, so `prehashed` operations use `@noble/curves`
 * (prehash disabled, hedged RFC 6979 nonces); for that the private scalar is kept in a
 * private buffer that `dispose()` wipes. Noble converts the scalar to a BigInt, which
 * JavaScript cannot wipe: that copy lives until garbage collection.
 *
 * Signatures are DER by default (strictly parsed, see `der.ts`) or raw r‖s. Verification
 * accepts high-S signatures (as OpenSSL and Wycheproof do) and returns false, never
 * throws, for malformed signatures; a digest of the wrong length is an invalid request.
 */

import type { ECDSA } from "@noble/curves/abstract/weierstrass.js";
import { p256, p384 } from "@noble/curves/nist.js";
import type { Algorithm, HashName } from "../../domain/algorithms.ts";
import {
  decodeChildren,
  decodeDer,
  decodeSequence,
  DER_TAG,
  type DerElement,
  encodeBitString,
  encodeDer,
  isElement,
  readBitStringBytes,
  readSmallInteger,
} from "../asn1.ts";
import { derToRaw, rawToDer } from "../ecdsa_signature.ts";
import { toBase64Url } from "../encoding.ts";
import { HsmError } from "../../domain/errors.ts";
import type {
  LoadedKey,
  OffloadPolicy,
  Provider,
  PublicKeyExport,
  SignOptions,
} from "../provider.ts";
import { timingSafeEqual, wipe } from "../zeroize.ts";
import {
  assertDigestLength,
  assertFamily,
  bufferSource,
  disposedKey,
  resolveHash,
  unreadableMaterial,
} from "./_common.ts";

interface Curve {
  readonly namedCurve: "P-256" | "P-384";
  /** Field and scalar size in bytes. */
  readonly size: number;
  /** DER contents of the named-curve OID. */
  readonly oid: Uint8Array;
  readonly noble: ECDSA;
}

/** id-ecPublicKey, 1.2.840.10045.2.1. */
const EC_PUBLIC_KEY_OID = new Uint8Array([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);

const CURVES: Readonly<Partial<Record<Algorithm, Curve>>> = Object.freeze(
  Object.assign(Object.create(null), {
    "EC-P256": {
      namedCurve: "P-256",
      size: 32,
      oid: new Uint8Array([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]), // 1.2.840.10045.3.1.7
      noble: p256,
    },
    "EC-P384": {
      namedCurve: "P-384",
      size: 48,
      oid: new Uint8Array([0x2b, 0x81, 0x04, 0x00, 0x22]), // 1.3.132.0.34
      noble: p384,
    },
  }),
);

function curveOf(algorithm: Algorithm): Curve {
  assertFamily(algorithm, "ec");
  const curve = CURVES[algorithm];
  if (curve === undefined) throw new RangeError(`No curve for ${algorithm}`);
  return curve;
}

function signatureFormat(options: SignOptions | undefined): "der" | "raw" {
  const format = options?.format ?? "der";
  if (format !== "der" && format !== "raw") {
    throw new HsmError("invalid_request", "Signature format must be der or raw");
  }
  return format;
}

function algorithmIdentifier(curve: Curve): Uint8Array {
  return encodeDer(
    DER_TAG.sequence,
    encodeDer(DER_TAG.oid, EC_PUBLIC_KEY_OID),
    encodeDer(DER_TAG.oid, curve.oid),
  );
}

/** The public half: verification for both message and digest inputs, and export. */
class EcdsaPublicKey implements LoadedKey {
  readonly algorithm: Algorithm;
  readonly #curve: Curve;
  /** Uncompressed SEC 1 point 04‖X‖Y. */
  readonly #point: Uint8Array;
  #verifyKey: CryptoKey | undefined;

  private constructor(algorithm: Algorithm, curve: Curve, point: Uint8Array, key: CryptoKey) {
    this.algorithm = algorithm;
    this.#curve = curve;
    this.#point = point;
    this.#verifyKey = key;
  }

  /** Validates an uncompressed point and imports it; undefined when it is not on the curve. */
  static async fromPoint(
    algorithm: Algorithm,
    point: Uint8Array,
  ): Promise<EcdsaPublicKey | undefined> {
    const curve = curveOf(algorithm);
    if (point.length !== 1 + 2 * curve.size || point[0] !== 0x04) return undefined;
    if (!curve.noble.utils.isValidPublicKey(point, false)) return undefined;
    try {
      const key = await crypto.subtle.importKey(
        "raw",
        bufferSource(point),
        { name: "ECDSA", namedCurve: curve.namedCurve },
        true,
        ["verify"],
      );
      return new EcdsaPublicKey(algorithm, curve, point.slice(), key);
    } catch {
      return undefined;
    }
  }

  async verify(data: Uint8Array, signature: Uint8Array, options?: SignOptions): Promise<boolean> {
    const key = this.#verifyKey;
    if (key === undefined) throw disposedKey();
    const hash = resolveHash(this.algorithm, options);
    const format = signatureFormat(options);
    if (options?.prehashed === true) assertDigestLength(data, hash);
    const size = this.#curve.size;
    const raw = format === "der"
      ? derToRaw(this.#curve.namedCurve, signature)
      : (signature.length === 2 * size ? signature : undefined);
    if (raw === undefined) return false;
    try {
      if (options?.prehashed === true) {
        return this.#curve.noble.verify(raw, data, this.#point, {
          prehash: false,
          lowS: false,
          format: "compact",
        });
      }
      return await crypto.subtle.verify(
        { name: "ECDSA", hash },
        key,
        bufferSource(raw),
        bufferSource(data),
      );
    } catch {
      return false;
    }
  }

  publicKey(): PublicKeyExport {
    const size = this.#curve.size;
    const spki = encodeDer(
      DER_TAG.sequence,
      algorithmIdentifier(this.#curve),
      encodeBitString(this.#point),
    );
    return {
      spki,
      jwk: {
        kty: "EC",
        crv: this.#curve.namedCurve,
        x: toBase64Url(this.#point.subarray(1, 1 + size)),
        y: toBase64Url(this.#point.subarray(1 + size)),
      },
    };
  }

  dispose(): void {
    this.#verifyKey = undefined;
  }
}

/** A private key: signs with Web Crypto (messages) or noble (digests). */
class EcdsaPrivateKey implements LoadedKey {
  readonly algorithm: Algorithm;
  readonly #curve: Curve;
  readonly #public: EcdsaPublicKey;
  #signKey: CryptoKey | undefined;
  /** Private scalar for digest signing; wiped by dispose(). */
  readonly #scalar: Uint8Array;

  constructor(
    algorithm: Algorithm,
    publicKey: EcdsaPublicKey,
    signKey: CryptoKey,
    scalar: Uint8Array,
  ) {
    this.algorithm = algorithm;
    this.#curve = curveOf(algorithm);
    this.#public = publicKey;
    this.#signKey = signKey;
    this.#scalar = scalar;
  }

  async sign(data: Uint8Array, options?: SignOptions): Promise<Uint8Array> {
    const key = this.#signKey;
    if (key === undefined) throw disposedKey();
    const hash: HashName = resolveHash(this.algorithm, options);
    const format = signatureFormat(options);
    let raw: Uint8Array;
    if (options?.prehashed === true) {
      assertDigestLength(data, hash);
      raw = this.#curve.noble.sign(data, this.#scalar, {
        prehash: false,
        lowS: true,
        format: "compact",
        extraEntropy: true,
      });
    } else {
      raw = new Uint8Array(
        await crypto.subtle.sign({ name: "ECDSA", hash }, key, bufferSource(data)),
      );
    }
    return format === "der" ? rawToDer(this.#curve.namedCurve, raw) : raw;
  }

  async verify(data: Uint8Array, signature: Uint8Array, options?: SignOptions): Promise<boolean> {
    if (this.#signKey === undefined) throw disposedKey();
    return await this.#public.verify(data, signature, options);
  }

  publicKey(): PublicKeyExport {
    if (this.#signKey === undefined) throw disposedKey();
    return this.#public.publicKey();
  }

  dispose(): void {
    wipe(this.#scalar);
    this.#signKey = undefined;
    this.#public.dispose();
  }
}

/** True when `element` is the AlgorithmIdentifier { id-ecPublicKey, curve OID }. */
function isEcAlgorithm(element: DerElement | undefined, curve: Curve): boolean {
  if (element?.tag !== DER_TAG.sequence) return false;
  const parts = decodeChildren(element.contents);
  return parts?.length === 2 && isElement(parts[0], DER_TAG.oid, EC_PUBLIC_KEY_OID) &&
    isElement(parts[1], DER_TAG.oid, curve.oid);
}

/**
 * Pulls the private scalar (a view into `material`) and the optional embedded public
 * point out of a PKCS#8 EC key for `curve`; undefined when anything is off.
 */
function parsePkcs8(
  material: Uint8Array,
  curve: Curve,
): { scalar: Uint8Array; point?: Uint8Array } | undefined {
  const info = decodeSequence(material);
  if (info === undefined || info.length !== 3 || readSmallInteger(info[0]) !== 0) return undefined;
  if (!isEcAlgorithm(info[1], curve) || info[2]?.tag !== DER_TAG.octetString) return undefined;
  // ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, [0] params?, [1] publicKey? }
  const ec = decodeSequence(info[2].contents);
  if (ec === undefined || ec.length < 2 || readSmallInteger(ec[0]) !== 1) return undefined;
  const scalar = ec[1];
  if (scalar?.tag !== DER_TAG.octetString || scalar.contents.length !== curve.size) {
    return undefined;
  }
  let point: Uint8Array | undefined;
  let next = 2;
  let field = ec[next];
  if (field?.tag === 0xa0) {
    if (!isElement(decodeDer(field.contents), DER_TAG.oid, curve.oid)) return undefined;
    field = ec[++next];
  }
  if (field?.tag === 0xa1) {
    point = readBitStringBytes(decodeDer(field.contents));
    if (point === undefined) return undefined;
    next++;
  }
  if (next !== ec.length) return undefined;
  return point === undefined ? { scalar: scalar.contents } : { scalar: scalar.contents, point };
}

/**
 * Builds a verify-only key (verify, publicKey, dispose) from SubjectPublicKeyInfo DER;
 * the same verification code the private keys use.
 * @throws HsmError("invalid_request") when `spki` is not an uncompressed point of the curve
 */
export async function ecdsaVerifierFromSpki(
  algorithm: Algorithm,
  spki: Uint8Array,
): Promise<LoadedKey> {
  const curve = curveOf(algorithm);
  const parts = decodeSequence(spki);
  const alg = parts?.[0];
  const point = readBitStringBytes(parts?.[1]);
  const malformed = new HsmError("invalid_request", "Public key is malformed");
  if (parts?.length !== 2 || point === undefined || !isEcAlgorithm(alg, curve)) throw malformed;
  const key = await EcdsaPublicKey.fromPoint(algorithm, point);
  if (key === undefined) throw malformed;
  return key;
}

/**
 * Every signature runs in the offload pool: Deno's Web Crypto ECDSA `sign` computes on the
 * calling thread (≈ 300–400 µs of main-thread time per P-256 signature under load), and
 * prehashed signing is `@noble/curves` (synchronous). Verification stays on the main
 * thread unless prehashed (noble): Web Crypto verify is cheaper than a worker round trip.
 */
const SIGN_IN_POOL: OffloadPolicy = Object.freeze({
  methods: Object.freeze(["sign", "verify"] as const),
  when: (method: string, options: SignOptions | undefined) =>
    method === "sign" || options?.prehashed === true,
});

/** The ECDSA provider for EC-P256 and EC-P384 (material: PKCS#8 DER). */
export const ecdsaProvider: Provider = Object.freeze({
  async generate(algorithm: Algorithm): Promise<Uint8Array> {
    const curve = curveOf(algorithm);
    const pair = await crypto.subtle.generateKey(
      { name: "ECDSA", namedCurve: curve.namedCurve },
      true,
      ["sign", "verify"],
    );
    return new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  },

  async load(algorithm: Algorithm, material: Uint8Array): Promise<LoadedKey> {
    const curve = curveOf(algorithm);
    const der = bufferSource(material);
    let scalar: Uint8Array | undefined;
    try {
      const parsed = parsePkcs8(der, curve);
      if (parsed === undefined || !curve.noble.utils.isValidSecretKey(parsed.scalar)) {
        throw unreadableMaterial();
      }
      scalar = parsed.scalar.slice();
      const computed = curve.noble.getPublicKey(scalar, false);
      if (parsed.point !== undefined && !timingSafeEqual(parsed.point, computed)) {
        throw unreadableMaterial();
      }
      const publicKey = await EcdsaPublicKey.fromPoint(algorithm, computed);
      if (publicKey === undefined) throw unreadableMaterial();
      const signKey = await crypto.subtle.importKey(
        "pkcs8",
        der,
        { name: "ECDSA", namedCurve: curve.namedCurve },
        false,
        ["sign"],
      );
      const key = new EcdsaPrivateKey(algorithm, publicKey, signKey, scalar);
      scalar = undefined; // now owned by the key
      return key;
    } catch {
      throw unreadableMaterial();
    } finally {
      wipe(material, der, scalar);
    }
  },
  /** Signing (Web Crypto or noble: both on the calling thread) and digest verification. */
  offload(algorithm: Algorithm): OffloadPolicy {
    curveOf(algorithm);
    return SIGN_IN_POOL;
  },
});
