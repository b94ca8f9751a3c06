/**
 * Strict conversion between ECDSA signatures in DER (`SEQUENCE { r INTEGER, s INTEGER }`,
 * RFC 3279) and IEEE P1363 raw form (r‖s, each left-padded to the field size). The DER
 * parser accepts only the one canonical encoding of a signature, so a signature can never
 * be re-encoded into a second accepted form (malleability) and BER quirks are refused.
 * It does not range-check r and s against the group order: verification does.
 */

import {
  decodeSequence,
  DER_TAG,
  encodeDer,
  encodeUnsignedInteger,
  readUnsignedInteger,
} from "./asn1.ts";

/**
 * Converts a DER signature to raw r‖s of `size` bytes each; undefined for anything that is
 * not canonical DER or whose integers are longer than `size` bytes.
 */
export function derToRaw(der: Uint8Array, size: number): Uint8Array | undefined {
  if (!Number.isInteger(size) || size <= 0) throw new RangeError("Field size must be positive");
  const parts = decodeSequence(der);
  if (parts === undefined || parts.length !== 2) return undefined;
  const r = readUnsignedInteger(parts[0]);
  const s = readUnsignedInteger(parts[1]);
  if (r === undefined || s === undefined || r.length > size || s.length > size) return undefined;
  const raw = new Uint8Array(2 * size);
  raw.set(r, size - r.length);
  raw.set(s, 2 * size - s.length);
  return raw;
}

/** Converts a raw r‖s signature (two equal halves) to canonical DER. */
export function rawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new RangeError("Raw signature must be two equal non-empty halves");
  }
  const half = raw.length / 2;
  return encodeDer(
    DER_TAG.sequence,
    encodeUnsignedInteger(raw.subarray(0, half)),
    encodeUnsignedInteger(raw.subarray(half)),
  );
}
