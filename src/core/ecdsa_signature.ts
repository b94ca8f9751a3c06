/**
 * Conversion between ECDSA signatures in DER (`SEQUENCE { r INTEGER, s INTEGER }`,
 * RFC 3279) and IEEE P1363 raw form (r‖s, each left-padded to the field size), through
 * `@noble/curves`' strict DER codec: only the one canonical encoding is accepted (no
 * BER length forms, no superfluous or missing sign octets, no trailing bytes), so a
 * signature can never be re-encoded into a second accepted form, and r and s must lie
 * in 1..n-1. This parses attacker-supplied signatures; it never throws on bad input.
 */

import { p256, p384 } from "@noble/curves/nist.js";

/** The curves FerroHSM signs with. */
export type EcdsaCurve = "P-256" | "P-384";

const CURVES = { "P-256": p256, "P-384": p384 } as const;

/**
 * Converts a DER signature to raw r‖s for `curve`; undefined for anything that is not a
 * canonical DER signature with r and s in range.
 */
export function derToRaw(curve: EcdsaCurve, der: Uint8Array): Uint8Array | undefined {
  try {
    return CURVES[curve].Signature.fromBytes(der, "der").toBytes("compact");
  } catch {
    return undefined;
  }
}

/**
 * Converts a raw r‖s signature for `curve` to canonical DER.
 * @throws RangeError when `raw` is not a signature of the curve's size with r, s in range
 */
export function rawToDer(curve: EcdsaCurve, raw: Uint8Array): Uint8Array {
  try {
    return CURVES[curve].Signature.fromBytes(raw, "compact").toBytes("der");
  } catch {
    throw new RangeError(`Raw signature is not a valid ${curve} signature`);
  }
}
