/**
 * Transit's encryption operations over CryptoService: encrypt, decrypt, rewrap and data
 * keys. AES-256-GCM ciphertexts are FerroHSM's `fhsm:v<N>:<base64(nonce‖ct‖tag)>`
 * re-labelled `vault:v<N>:` (the same bytes as Vault's layout); RSA ciphertexts are
 * RSA-OAEP-SHA-256 under `vault:v<N>:`, the version telling which key pair decrypts.
 *
 * Rewrap and data keys are Transit-local helpers over `CryptoService.decrypt/encrypt`
 * (each step authorized and audited as `key.decrypt` / `key.encrypt`); the plaintext
 * (or fresh data key) lives only in a buffer wiped before returning. Not offered: key
 * derivation (`context`), convergent encryption (`nonce`), PKCS#1 v1.5 encryption, and
 * encrypting with an older version (`key_version` must be absent, 0 or the latest).
 */

import type { Actor } from "../access/guard.ts";
import { algorithmInfo } from "../core/algorithms.ts";
import { toBase64 } from "../core/encoding.ts";
import { wipe } from "../core/zeroize.ts";
import { HsmError } from "../domain/errors.ts";
import type { KeyRecord } from "../domain/records.ts";
import type { CryptoService } from "../keys/crypto_service.ts";
import {
  ferroCiphertext,
  parseVersioned,
  transitCiphertext,
  type VaultFields,
} from "./vault_format.ts";

/** Who runs an operation on which key. */
export interface TransitTarget {
  readonly crypto: CryptoService;
  readonly actor: Actor;
  readonly record: KeyRecord;
}

/** An encryption result as Vault answers it. */
export interface EncryptResult {
  readonly ciphertext: string;
  readonly key_version: number;
}

/** Data key sizes Vault offers, in bits. */
const DATA_KEY_BITS = [128, 256, 512] as const;

/** Encrypts one item's `plaintext` (with `associated_data` for AES-GCM). */
export async function encryptItem(t: TransitTarget, item: VaultFields): Promise<EncryptResult> {
  refuseUnsupported(item);
  requireLatest(t.record, item.int("key_version"), "encrypt");
  const plaintext = item.bytes("plaintext");
  if (plaintext === undefined) {
    throw new HsmError("invalid_request", "Missing plaintext to encrypt");
  }
  try {
    return await encryptBytes(t, plaintext, associatedData(t.record, item));
  } finally {
    wipe(plaintext);
  }
}

/** Decrypts one item's `ciphertext`; the plaintext is answered in base64. */
export async function decryptItem(
  t: TransitTarget,
  item: VaultFields,
): Promise<{ plaintext: string }> {
  refuseUnsupported(item);
  const plaintext = await decryptBytes(t, item);
  try {
    return { plaintext: toBase64(plaintext) };
  } finally {
    wipe(plaintext);
  }
}

/** Decrypts one item's `ciphertext` and encrypts it again with the latest version. */
export async function rewrapItem(t: TransitTarget, item: VaultFields): Promise<EncryptResult> {
  refuseUnsupported(item);
  requireLatest(t.record, item.int("key_version"), "rewrap");
  const plaintext = await decryptBytes(t, item);
  try {
    return await encryptBytes(t, plaintext, associatedData(t.record, item));
  } finally {
    wipe(plaintext);
  }
}

/**
 * A fresh random data key of `bits` (default 256) encrypted under the key; with
 * `withPlaintext` the key itself is answered too (`/datakey/plaintext`).
 */
export async function dataKey(
  t: TransitTarget,
  fields: VaultFields,
  withPlaintext: boolean,
): Promise<EncryptResult & { plaintext?: string }> {
  refuseUnsupported(fields);
  const bits = fields.int("bits") ?? 256;
  if (!(DATA_KEY_BITS as readonly number[]).includes(bits)) {
    throw new HsmError("invalid_request", "Invalid bits: expected 128, 256 or 512");
  }
  const key = crypto.getRandomValues(new Uint8Array(bits / 8));
  try {
    const sealed = await encryptBytes(t, key, associatedData(t.record, fields));
    return withPlaintext ? { ...sealed, plaintext: toBase64(key) } : sealed;
  } finally {
    wipe(key);
  }
}

/**
 * Refuses `key_version` other than absent, 0 or the latest: FerroHSM encrypts and signs
 * with the current version only.
 * @throws HsmError("invalid_request")
 */
export function requireLatest(record: KeyRecord, version: number | undefined, verb: string): void {
  if (version === undefined || version === 0 || version === record.currentVersion) return;
  throw new HsmError(
    "invalid_request",
    `Cannot ${verb} with version ${version}: FerroHSM uses the latest version (${record.currentVersion})`,
  );
}

async function encryptBytes(
  t: TransitTarget,
  plaintext: Uint8Array,
  aad: Uint8Array | undefined,
): Promise<EncryptResult> {
  const r = await t.crypto.encrypt(t.actor, t.record.id, plaintext, aad);
  return { ciphertext: transitCiphertext(r.value, r.version), key_version: r.version };
}

async function decryptBytes(t: TransitTarget, item: VaultFields): Promise<Uint8Array> {
  const text = item.string("ciphertext");
  if (text === undefined) throw new HsmError("invalid_request", "Missing ciphertext to decrypt");
  const parsed = parseVersioned(text, "ciphertext");
  const aad = associatedData(t.record, item);
  const r = symmetric(t.record)
    ? await t.crypto.decrypt(t.actor, t.record.id, ferroCiphertext(parsed), aad)
    : await t.crypto.decrypt(t.actor, t.record.id, parsed.data, undefined, parsed.version);
  return r.value;
}

function symmetric(record: KeyRecord): boolean {
  return algorithmInfo(record.algorithm)?.ciphertext === "versioned";
}

function associatedData(record: KeyRecord, item: VaultFields): Uint8Array | undefined {
  const aad = item.bytes("associated_data", true);
  if (aad !== undefined && !symmetric(record)) {
    throw new HsmError("invalid_request", "Cannot use associated_data: the key is not an AEAD key");
  }
  return aad;
}

function refuseUnsupported(item: VaultFields): void {
  if (item.bytes("context", true) !== undefined) {
    throw new HsmError("invalid_request", "Cannot use context: FerroHSM keys are not derived");
  }
  if (item.bytes("nonce", true) !== undefined) {
    throw new HsmError("invalid_request", "Cannot use nonce: convergent encryption is not offered");
  }
  const padding = item.string("padding_scheme");
  if (padding !== undefined && padding !== "" && padding !== "oaep") {
    throw new HsmError("invalid_request", "Unsupported padding_scheme: FerroHSM offers oaep");
  }
}
