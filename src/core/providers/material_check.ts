/**
 * Validation of key material brought in from outside (BYOK import) before it is sealed:
 * each algorithm's format and its internal consistency, then a trial load by the
 * algorithm's provider (and, for RSA and EC keys, a pairwise sign/verify test), so nothing
 * is stored that would fail or misbehave later.
 *
 * - AES, HMAC: exactly 32 raw bytes.
 * - RSA: PKCS#8 (rsaEncryption, NULL parameters, no attributes) of a two-prime key that
 *   passes `_rsa_check.ts` (size, p·q, primality, d, CRT values).
 * - EC: PKCS#8 of the named curve; the scalar in [1, n−1]; an embedded public point
 *   must equal scalar·G. Web Crypto's `importKey("pkcs8")` accepts an altered point, so
 *   the point is recomputed here with `@noble/curves`.
 * - Ed25519: PKCS#8 v1 (RFC 8410) or v2 (RFC 5958 with the public key, which must match
 *   the seed); stored canonically as v1 without the public key.
 * - ML-KEM: the 64-byte FIPS 203 seed d‖z; ML-DSA: the 32-byte FIPS 204 seed ξ; other
 *   post-quantum, hybrid and composite keys: the provider's format, checked by loading.
 *
 * Refusals are `invalid_request` with a reason that never contains key bytes.
 */

import { ed25519 } from "@noble/curves/ed25519.js";
import { p256, p384 } from "@noble/curves/nist.js";
import type { Algorithm } from "../../domain/algorithms.ts";
import { HsmError } from "../../domain/errors.ts";
import { algorithmInfo } from "../algorithms.ts";
import {
  decodeChildren,
  decodeDer,
  decodeSequence,
  DER_TAG,
  type DerElement,
  encodeDer,
  isElement,
  readSmallInteger,
} from "../asn1.ts";
import type { LoadedKey } from "../provider.ts";
import { timingSafeEqual, wipe } from "../zeroize.ts";
import { type EcCurve, P256, P384, parseEcPrivateKey } from "./_ec_keys.ts";
import { rsaKeyProblem } from "./_rsa_check.ts";
import { providerFor } from "./index.ts";

/** rsaEncryption 1.2.840.113549.1.1.1, id-ecPublicKey 1.2.840.10045.2.1, id-Ed25519 1.3.101.112. */
const RSA_OID = Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01);
const EC_OID = Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);
const ED25519_OID = Uint8Array.of(0x2b, 0x65, 0x70);

const SEED_LENGTHS: Readonly<Partial<Record<string, number>>> = Object.freeze({
  "aes": 32,
  "hmac": 32,
  "ml-kem": 64,
  "ml-dsa": 32,
});

function refuse(algorithm: Algorithm, reason: string): HsmError {
  return new HsmError("invalid_request", `Invalid key material for ${algorithm}: ${reason}`);
}

/** PrivateKeyInfo fields: version, AlgorithmIdentifier children, private key contents. */
function readPkcs8(material: Uint8Array): {
  version: number | undefined;
  algorithm: DerElement[] | undefined;
  privateKey: Uint8Array | undefined;
  rest: DerElement[];
} | undefined {
  const info = decodeSequence(material);
  if (info === undefined || info.length < 3) return undefined;
  const alg = info[1]?.tag === DER_TAG.sequence ? decodeChildren(info[1].contents) : undefined;
  return {
    version: readSmallInteger(info[0]),
    algorithm: alg,
    privateKey: info[2]?.tag === DER_TAG.octetString ? info[2].contents : undefined,
    rest: info.slice(3),
  };
}

function checkRsa(algorithm: Algorithm, material: Uint8Array): Uint8Array {
  const pkcs8 = readPkcs8(material);
  const alg = pkcs8?.algorithm;
  const isRsa = alg?.length === 2 && isElement(alg[0], DER_TAG.oid, RSA_OID) &&
    isElement(alg[1], DER_TAG.null, new Uint8Array(0));
  if (pkcs8?.version !== 0 || !isRsa || pkcs8.privateKey === undefined) {
    throw refuse(algorithm, "expected a PKCS#8 rsaEncryption private key");
  }
  if (pkcs8.rest.length > 0) throw refuse(algorithm, "PKCS#8 attributes are not supported");
  const problem = rsaKeyProblem(pkcs8.privateKey, algorithmInfo(algorithm)?.bits ?? 0);
  if (problem !== undefined) throw refuse(algorithm, problem);
  return material.slice();
}

function checkEc(algorithm: Algorithm, material: Uint8Array): Uint8Array {
  const [curve, noble]: [EcCurve, typeof p256] = algorithm === "EC-P256"
    ? [P256, p256]
    : [P384, p384];
  const pkcs8 = readPkcs8(material);
  const alg = pkcs8?.algorithm;
  const isEc = alg?.length === 2 && isElement(alg[0], DER_TAG.oid, EC_OID) &&
    isElement(alg[1], DER_TAG.oid, curve.oid);
  if (pkcs8?.version !== 0 || !isEc || pkcs8.privateKey === undefined) {
    throw refuse(algorithm, `expected a PKCS#8 EC private key on ${curve.algorithm}`);
  }
  if (pkcs8.rest.length > 0) throw refuse(algorithm, "PKCS#8 attributes are not supported");
  const parsed = parseEcPrivateKey(curve, pkcs8.privateKey);
  if (parsed === undefined) throw refuse(algorithm, "the ECPrivateKey is malformed");
  if (!noble.utils.isValidSecretKey(parsed.scalar)) {
    throw refuse(algorithm, "the private scalar is not in [1, n-1]");
  }
  if (parsed.point !== undefined) {
    const compressed = parsed.point.length === curve.size + 1;
    const computed = noble.getPublicKey(parsed.scalar, compressed);
    if (!timingSafeEqual(parsed.point, computed)) {
      throw refuse(algorithm, "the public point does not match the private scalar");
    }
  }
  return material.slice();
}

/** RFC 8410 PKCS#8 v1 of an Ed25519 seed (the form the provider loads). */
function ed25519Pkcs8(seed: Uint8Array): Uint8Array {
  return encodeDer(
    DER_TAG.sequence,
    encodeDer(DER_TAG.integer, Uint8Array.of(0)),
    encodeDer(DER_TAG.sequence, encodeDer(DER_TAG.oid, ED25519_OID)),
    encodeDer(DER_TAG.octetString, encodeDer(DER_TAG.octetString, seed)),
  );
}

function checkEd25519(algorithm: Algorithm, material: Uint8Array): Uint8Array {
  const pkcs8 = readPkcs8(material);
  const alg = pkcs8?.algorithm;
  const isEd = alg?.length === 1 && isElement(alg[0], DER_TAG.oid, ED25519_OID);
  const seed = pkcs8?.privateKey === undefined ? undefined : decodeDer(pkcs8.privateKey);
  const version = pkcs8?.version;
  if (
    !isEd || (version !== 0 && version !== 1) || seed?.tag !== DER_TAG.octetString ||
    seed.contents.length !== 32
  ) {
    throw refuse(algorithm, "expected an RFC 8410 PKCS#8 Ed25519 private key");
  }
  const rest = pkcs8?.rest ?? [];
  // OneAsymmetricKey v2: [1] IMPLICIT BIT STRING publicKey, no attributes.
  const publicKey = rest[0]?.tag === 0x81 && rest.length === 1 ? rest[0] : undefined;
  if (rest.length > 0 && (version !== 1 || publicKey === undefined)) {
    throw refuse(algorithm, "PKCS#8 attributes are not supported");
  }
  if (publicKey !== undefined) {
    const bits = publicKey.contents;
    if (bits[0] !== 0 || !timingSafeEqual(bits.subarray(1), ed25519.getPublicKey(seed.contents))) {
      throw refuse(algorithm, "the public key does not match the private key");
    }
  }
  return ed25519Pkcs8(seed.contents);
}

/** A private sign/verify round trip with the loaded key (pairwise consistency test). */
async function pairwiseTest(algorithm: Algorithm, key: LoadedKey): Promise<void> {
  if (key.sign === undefined || key.verify === undefined) return;
  const message = crypto.getRandomValues(new Uint8Array(32));
  const signature = await key.sign(message);
  if (!(await key.verify(message, signature))) {
    throw refuse(algorithm, "it fails a pairwise sign/verify test");
  }
}

/**
 * Checks imported `material` for `algorithm` and returns the material to seal (a fresh
 * buffer, canonical where the format allows variants); `material` is left to the caller
 * to wipe, as is the result once sealed.
 * @throws HsmError("invalid_request") when the material is not a valid key of `algorithm`
 */
export async function checkImportMaterial(
  algorithm: Algorithm,
  material: Uint8Array,
): Promise<Uint8Array> {
  const family = algorithmInfo(algorithm)?.family;
  if (family === undefined) throw new RangeError(`Unknown algorithm ${String(algorithm)}`);
  const length = SEED_LENGTHS[family];
  if (length !== undefined && material.length !== length) {
    throw refuse(algorithm, `expected ${length} bytes`);
  }
  const canonical = family === "rsa"
    ? checkRsa(algorithm, material)
    : family === "ec"
    ? checkEc(algorithm, material)
    : family === "ed25519"
    ? checkEd25519(algorithm, material)
    : material.slice();
  const trial = canonical.slice();
  let key: LoadedKey;
  try {
    key = await providerFor(algorithm).load(algorithm, trial); // wipes `trial`
  } catch {
    wipe(canonical, trial);
    throw refuse(algorithm, "it does not load as a key of this algorithm");
  }
  try {
    // Post-quantum and Ed25519 keys derive their public half from the seed on load;
    // RSA and EC keys carry both halves, so run one private operation against the public.
    if (family === "rsa" || family === "ec") await pairwiseTest(algorithm, key);
  } catch (err) {
    wipe(canonical);
    throw err instanceof HsmError ? err : refuse(algorithm, "it fails a pairwise test");
  } finally {
    key.dispose();
  }
  return canonical;
}
