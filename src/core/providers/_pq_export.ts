/**
 * Public-key encodings shared by the post-quantum, hybrid and composite providers: OID
 * contents from dotted notation, SubjectPublicKeyInfo with an absent-parameters
 * AlgorithmIdentifier (the form every NIST and IETF post-quantum key uses), `AKP` JWKs
 * (draft-ietf-cose-dilithium style) and the X25519/EC component keys. Only public data
 * passes through here. Private to `src/core/providers/`.
 */

import { DER_TAG, encodeBitString, encodeDer } from "../asn1.ts";
import { toBase64Url } from "../encoding.ts";
import type { ComponentPublicKey, PublicKeyExport } from "../provider.ts";

/** Fills a buffer with random bytes (the OS CSPRNG unless a known-answer test injects one). */
export type RandomFill = (buf: Uint8Array) => void;

/** The OS CSPRNG as a `RandomFill`. */
export function osRandom(buf: Uint8Array): void {
  crypto.getRandomValues(buf);
}

/** DER contents (no tag or length) of the OBJECT IDENTIFIER in dotted notation. */
export function oidContents(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((a) => BigInt(a));
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || first > 2n) {
    throw new RangeError(`Malformed OID ${dotted}`);
  }
  const out: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const septets: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) septets.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...septets);
  }
  return Uint8Array.from(out);
}

/** SubjectPublicKeyInfo DER: SEQUENCE { SEQUENCE { OID }, BIT STRING key } (no parameters). */
export function spkiWithOid(oid: Uint8Array, key: Uint8Array): Uint8Array {
  const algId = encodeDer(DER_TAG.sequence, encodeDer(DER_TAG.oid, oid));
  return encodeDer(DER_TAG.sequence, algId, encodeBitString(key));
}

/** The public export of a key published as SPKI, an `AKP` JWK and raw bytes. */
export function akpExport(
  algorithm: string,
  oid: Uint8Array,
  raw: Uint8Array,
  components?: readonly ComponentPublicKey[],
): PublicKeyExport {
  const base = {
    spki: spkiWithOid(oid, raw),
    jwk: { kty: "AKP", alg: algorithm, pub: toBase64Url(raw) },
    raw: raw.slice(),
  };
  return components === undefined ? base : { ...base, components };
}

/** A component exported the same way (`AKP` JWK), e.g. the ML-KEM or ML-DSA half. */
export function akpComponent(
  algorithm: string,
  oid: Uint8Array,
  raw: Uint8Array,
): ComponentPublicKey {
  const { spki, jwk } = akpExport(algorithm, oid, raw);
  return { algorithm, spki, jwk, raw: raw.slice() };
}

/** id-X25519, 1.3.101.110 (RFC 8410). */
const X25519_OID = Uint8Array.of(0x2b, 0x65, 0x6e);

/** An X25519 public key as RFC 8410 SPKI and an RFC 8037 `OKP` JWK. */
export function x25519Component(raw: Uint8Array): ComponentPublicKey {
  return {
    algorithm: "X25519",
    spki: spkiWithOid(X25519_OID, raw),
    jwk: { kty: "OKP", crv: "X25519", x: toBase64Url(raw) },
    raw: raw.slice(),
  };
}

/** id-ecPublicKey, 1.2.840.10045.2.1. */
const EC_PUBLIC_KEY_OID = Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);

/** An uncompressed EC point as RFC 5480 SPKI and an RFC 7518 `EC` JWK. */
export function ecComponent(
  algorithm: "EC-P256" | "EC-P384",
  curveOid: Uint8Array,
  point: Uint8Array,
): ComponentPublicKey {
  const size = (point.length - 1) / 2;
  const algId = encodeDer(
    DER_TAG.sequence,
    encodeDer(DER_TAG.oid, EC_PUBLIC_KEY_OID),
    encodeDer(DER_TAG.oid, curveOid),
  );
  return {
    algorithm,
    spki: encodeDer(DER_TAG.sequence, algId, encodeBitString(point)),
    jwk: {
      kty: "EC",
      crv: algorithm === "EC-P256" ? "P-256" : "P-384",
      x: toBase64Url(point.subarray(1, 1 + size)),
      y: toBase64Url(point.subarray(1 + size)),
    },
    raw: point.slice(),
  };
}
