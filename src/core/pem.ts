/**
 * PEM armour (RFC 7468) for DER structures we publish, such as SubjectPublicKeyInfo.
 * Only ever used for public data; never armour private material with it.
 */

import { toBase64 } from "./encoding.ts";

/** Wraps `der` as `-----BEGIN <label>-----` … with 64-character base64 lines. */
export function toPem(label: string, der: Uint8Array): string {
  if (!/^[A-Z0-9]+(?: [A-Z0-9]+)*$/.test(label)) throw new RangeError("Invalid PEM label");
  const body = toBase64(der).replace(/.{64}(?=.)/g, "$&\n");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}
