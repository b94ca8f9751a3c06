/**
 * The EC private-key encodings the composite provider needs: RFC 5915 ECPrivateKey with
 * the named-curve parameter and without the public key (the form composite ML-DSA keys
 * carry, draft-ietf-lamps-pq-composite-sigs §5), and its PKCS#8 wrapping so the ECDSA
 * provider can load it. Parsers return views into their input (wiping the input wipes
 * them) and `undefined` rather than throwing. Private to `src/core/providers/`.
 */

import {
  decodeDer,
  decodeSequence,
  DER_TAG,
  encodeDer,
  isElement,
  readSmallInteger,
} from "../asn1.ts";

/** What the composite provider needs to know about a NIST curve. */
export interface EcCurve {
  readonly algorithm: "EC-P256" | "EC-P384";
  /** Scalar and field size in bytes. */
  readonly size: number;
  /** DER contents of the named-curve OID. */
  readonly oid: Uint8Array;
}

/** P-256, secp256r1, 1.2.840.10045.3.1.7. */
export const P256: EcCurve = Object.freeze({
  algorithm: "EC-P256",
  size: 32,
  oid: Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07),
});

/** P-384, secp384r1, 1.3.132.0.34. */
export const P384: EcCurve = Object.freeze({
  algorithm: "EC-P384",
  size: 48,
  oid: Uint8Array.of(0x2b, 0x81, 0x04, 0x00, 0x22),
});

/** id-ecPublicKey, 1.2.840.10045.2.1. */
const EC_PUBLIC_KEY_OID = Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);

/** ECPrivateKey ::= SEQUENCE { 1, OCTET STRING scalar, [0] namedCurve } (no public key). */
export function encodeEcPrivateKey(curve: EcCurve, scalar: Uint8Array): Uint8Array {
  if (scalar.length !== curve.size) throw new RangeError("Scalar has the wrong length");
  return encodeDer(
    DER_TAG.sequence,
    encodeDer(DER_TAG.integer, Uint8Array.of(1)),
    encodeDer(DER_TAG.octetString, scalar),
    encodeDer(0xa0, encodeDer(DER_TAG.oid, curve.oid)),
  );
}

/**
 * Checks an ECPrivateKey for `curve` (version 1, a scalar of the curve's size, the curve's
 * OID if parameters are present, an optional public key) and returns a view of the scalar
 * and of the embedded public point, if any; undefined when anything is off.
 */
export function parseEcPrivateKey(
  curve: EcCurve,
  der: Uint8Array,
): { scalar: Uint8Array; point?: Uint8Array } | undefined {
  const fields = decodeSequence(der);
  if (fields === undefined || fields.length < 2 || readSmallInteger(fields[0]) !== 1) {
    return undefined;
  }
  const scalar = fields[1];
  if (scalar?.tag !== DER_TAG.octetString || scalar.contents.length !== curve.size) {
    return undefined;
  }
  let next = 2;
  let field = fields[next];
  if (field?.tag === 0xa0) {
    if (!isElement(decodeDer(field.contents), DER_TAG.oid, curve.oid)) return undefined;
    field = fields[++next];
  }
  let point: Uint8Array | undefined;
  if (field?.tag === 0xa1) {
    const bits = decodeDer(field.contents);
    if (bits?.tag !== DER_TAG.bitString || bits.contents[0] !== 0) return undefined;
    point = bits.contents.subarray(1);
    next++;
  }
  if (next !== fields.length) return undefined;
  return point === undefined ? { scalar: scalar.contents } : { scalar: scalar.contents, point };
}

/** PKCS#8 PrivateKeyInfo { 0, { id-ecPublicKey, curve }, OCTET STRING ecPrivateKey }. */
export function ecPkcs8(curve: EcCurve, ecPrivateKey: Uint8Array): Uint8Array {
  return encodeDer(
    DER_TAG.sequence,
    encodeDer(DER_TAG.integer, Uint8Array.of(0)),
    encodeDer(
      DER_TAG.sequence,
      encodeDer(DER_TAG.oid, EC_PUBLIC_KEY_OID),
      encodeDer(DER_TAG.oid, curve.oid),
    ),
    encodeDer(DER_TAG.octetString, ecPrivateKey),
  );
}
