/**
 * Transit's signing and MAC operations over CryptoService: sign, verify (signatures and
 * HMACs) and hmac. Signatures and HMACs are `vault:v<N>:<data>`, the version naming the
 * key version that verifies them; the data is base64, or unpadded base64url with
 * `marshaling_algorithm: jws` (ECDSA then raw r‖s, as JOSE wants; DER otherwise).
 *
 * Mapping: `hash_algorithm` (or the URL's) sha2-256/384/512 → SHA-256/384/512 (default
 * sha2-256 for every ECDSA and RSA key, as Vault); `prehashed` → a digest of that hash;
 * `signature_algorithm` pss (default) | pkcs1v15 → RSA padding (PSS salt = hash length);
 * Ed25519 signs the input itself (no prehashing). Not offered: sha1, sha2-224, sha3-*,
 * `none`, derived keys (`context`), signing or HMAC with an older `key_version`, and
 * HMAC with keys other than `hmac` keys (Vault gives every key an HMAC key; FerroHSM
 * keeps purposes apart).
 */

import { HsmError } from "../domain/errors.ts";
import type { KeyRecord } from "../domain/records.ts";
import type { SignParams } from "../keys/crypto_service.ts";
import { transitHash, typeOfAlgorithm } from "./key_types.ts";
import { requireLatest, type TransitTarget } from "./transit_ciphers.ts";
import {
  decodeSignature,
  encodeSignature,
  formatVersioned,
  type Marshaling,
  parseVersioned,
  type VaultFields,
} from "./vault_format.ts";
import { fromBase64 } from "../core/encoding.ts";

/** The request-level options of sign and verify (batch items carry only their data). */
export interface SignatureOptions {
  /** The hash name from the URL or `hash_algorithm` (`algorithm`, deprecated). */
  readonly hash?: string;
  readonly prehashed: boolean;
  readonly signatureAlgorithm: "pss" | "pkcs1v15";
  readonly marshaling: Marshaling;
  readonly keyVersion?: number;
}

/** Reads the sign/verify options of a request; `urlAlgorithm` wins over the body. */
export function signatureOptions(fields: VaultFields, urlAlgorithm?: string): SignatureOptions {
  const saltLength = fields.string("salt_length");
  if (
    saltLength !== undefined && saltLength !== "" && saltLength !== "auto" && saltLength !== "hash"
  ) {
    throw new HsmError("invalid_request", "Unsupported salt_length: PSS salts are the hash length");
  }
  const hash = urlAlgorithm ?? fields.string("hash_algorithm") ?? fields.string("algorithm");
  const keyVersion = fields.int("key_version");
  return {
    ...(hash === undefined || hash === "" ? {} : { hash }),
    prehashed: fields.bool("prehashed") ?? false,
    signatureAlgorithm: fields.choice("signature_algorithm", ["pss", "pkcs1v15"], "pss"),
    marshaling: fields.choice("marshaling_algorithm", ["asn1", "jws"], "asn1"),
    ...(keyVersion === undefined ? {} : { keyVersion }),
  };
}

/** Signs one item's `input` with the latest version. */
export async function signItem(
  t: TransitTarget,
  item: VaultFields,
  options: SignatureOptions,
): Promise<{ signature: string; key_version: number }> {
  requireLatest(t.record, options.keyVersion, "sign");
  const params = signParams(t.record, input(item), options);
  const r = await t.crypto.sign(t.actor, t.record.id, params);
  const signature = formatVersioned(r.version, encodeSignature(r.value, options.marshaling));
  return { signature, key_version: r.version };
}

/** Verifies one item's `signature` over its `input` with the version the signature names. */
export async function verifySignatureItem(
  t: TransitTarget,
  item: VaultFields,
  options: SignatureOptions,
): Promise<{ valid: boolean }> {
  const text = item.string("signature");
  if (text === undefined) throw new HsmError("invalid_request", "Missing signature");
  const parsed = parseVersioned(text, "signature");
  const signature = decodeSignature(parsed.data, options.marshaling);
  const params = signParams(t.record, input(item), options);
  const r = await t.crypto.verify(t.actor, t.record.id, params, signature, parsed.version);
  return { valid: r.value };
}

/** Computes the HMAC of one item's `input` with the latest version. */
export async function hmacItem(
  t: TransitTarget,
  item: VaultFields,
  options: { readonly algorithm?: string | undefined; readonly keyVersion?: number | undefined },
): Promise<{ hmac: string; key_version: number }> {
  requireSha256(options.algorithm);
  requireLatest(t.record, options.keyVersion, "compute an HMAC");
  const r = await t.crypto.mac(t.actor, t.record.id, input(item));
  return {
    hmac: formatVersioned(r.version, encodeSignature(r.value, "asn1")),
    key_version: r.version,
  };
}

/** Verifies one item's `hmac` over its `input` with the version the HMAC names. */
export async function verifyHmacItem(
  t: TransitTarget,
  item: VaultFields,
  algorithm?: string,
): Promise<{ valid: boolean }> {
  requireSha256(algorithm);
  const text = item.string("hmac");
  if (text === undefined) throw new HsmError("invalid_request", "Missing hmac");
  const parsed = parseVersioned(text, "hmac");
  const tag = fromBase64(parsed.data);
  if (tag === undefined) throw new HsmError("invalid_request", "Invalid hmac encoding");
  const r = await t.crypto.macVerify(t.actor, t.record.id, input(item), tag, parsed.version);
  return { valid: r.value };
}

function input(item: VaultFields): Uint8Array {
  if (item.bytes("context", true) !== undefined) {
    throw new HsmError("invalid_request", "Cannot use context: FerroHSM keys are not derived");
  }
  // Vault treats a missing input as empty.
  return item.bytes("input") ?? new Uint8Array(0);
}

function requireSha256(algorithm: string | undefined): void {
  if (transitHash(algorithm) !== "SHA-256") {
    throw new HsmError("invalid_request", "Unsupported HMAC algorithm: hmac keys use sha2-256");
  }
}

function signParams(record: KeyRecord, data: Uint8Array, o: SignatureOptions): SignParams {
  const type = typeOfAlgorithm(record.algorithm).type;
  if (type === "ed25519") {
    if (o.prehashed) {
      throw new HsmError("invalid_request", "Cannot use prehashed with ed25519 keys");
    }
    return { data, prehashed: false };
  }
  const hash = transitHash(o.hash);
  if (type === "ecdsa-p256" || type === "ecdsa-p384") {
    return { data, prehashed: o.prehashed, hash, format: o.marshaling === "jws" ? "raw" : "der" };
  }
  if (type === "rsa-2048" || type === "rsa-3072" || type === "rsa-4096") {
    const padding = o.signatureAlgorithm === "pkcs1v15" ? "pkcs1" : "pss";
    return { data, prehashed: o.prehashed, hash, padding };
  }
  throw new HsmError("invalid_request", `Key type ${type} does not support signing`);
}
