/**
 * The BYOK transport format `RSA-OAEP-SHA256-AES-KWP` (PKCS#11 CKM_RSA_AES_KEY_WRAP, AWS
 * KMS `RSA_AES_KEY_WRAP_SHA_256`, Google Cloud KMS `RSA_OAEP_3072_SHA256_AES_256`):
 *
 *   wrapped_key = RSA-OAEP(SHA-256, MGF1-SHA-256, empty label)(ephemeral AES-256 key)
 *                 ‖ AES-KWP (RFC 5649) of the key material under that AES key
 *
 * The server side generates a fresh RSA-3072 wrapping key per import token and unwraps;
 * the client side (CLI, tests) wraps for a given SubjectPublicKeyInfo.
 *
 * Every unwrap failure (OAEP padding, AES key length, KWP integrity) throws the same
 * vague error, so a caller learns nothing about which step failed; the service uses each
 * wrapping key once, which leaves no oracle to query repeatedly.
 */

import { HsmError } from "../domain/errors.ts";
import { aesKwpUnwrap, aesKwpWrap } from "./aes_kwp.ts";
import { wipe } from "./zeroize.ts";

/** The wrapping algorithm's name in the API. */
export const IMPORT_WRAPPING_ALGORITHM = "RSA-OAEP-SHA256-AES-KWP";

/** Modulus size of the wrapping keys. */
export const WRAPPING_KEY_BITS = 3072;

/** Length of the ephemeral AES key carried under RSA-OAEP. */
const EPHEMERAL_KEY_BYTES = 32;

const OAEP: RsaHashedImportParams = { name: "RSA-OAEP", hash: "SHA-256" };

/** A plain ArrayBuffer-backed copy Web Crypto accepts whatever backs `bytes`. */
function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

/** A freshly generated wrapping key: the private half as PKCS#8 (to seal) and the SPKI. */
export interface WrappingKeyPair {
  /** PKCS#8 DER of the private key; the caller seals it, then wipes it. */
  readonly material: Uint8Array;
  /** SubjectPublicKeyInfo DER of the public key. */
  readonly spki: Uint8Array;
}

/** Generates an RSA-3072 (e = 65537) wrapping key pair (Web Crypto, off the event loop). */
export async function generateWrappingKey(): Promise<WrappingKeyPair> {
  const pair = await crypto.subtle.generateKey(
    {
      ...OAEP,
      modulusLength: WRAPPING_KEY_BITS,
      publicExponent: Uint8Array.of(1, 0, 1),
    },
    true,
    ["encrypt", "decrypt"],
  );
  return {
    material: new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
    spki: new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey)),
  };
}

function unwrapFailed(): HsmError {
  return new HsmError("invalid_request", "Cannot unwrap key material: integrity check failed");
}

/**
 * Unwraps `wrapped` with the wrapping key's PKCS#8 `material` (left to the caller to
 * wipe); the caller owns and wipes the returned key material.
 * @throws HsmError("invalid_request") for anything that does not unwrap, one message
 */
export async function unwrapImportedKey(
  material: Uint8Array,
  wrapped: Uint8Array,
): Promise<Uint8Array> {
  let key: CryptoKey;
  const der = bufferSource(material);
  try {
    key = await crypto.subtle.importKey("pkcs8", der, OAEP, false, ["decrypt"]);
  } catch {
    throw new HsmError("integrity_error", "Sealed key material is unreadable");
  } finally {
    wipe(der);
  }
  const k = ((key.algorithm as RsaHashedKeyAlgorithm).modulusLength + 7) >> 3;
  if (wrapped.length < k + 16) throw unwrapFailed();
  let aesKey: Uint8Array | undefined;
  try {
    aesKey = new Uint8Array(
      await crypto.subtle.decrypt(OAEP, key, bufferSource(wrapped.slice(0, k))),
    );
  } catch {
    throw unwrapFailed();
  }
  try {
    if (aesKey.length !== EPHEMERAL_KEY_BYTES) throw unwrapFailed();
    return aesKwpUnwrap(aesKey, wrapped.subarray(k));
  } finally {
    wipe(aesKey);
  }
}

/**
 * Client side: wraps key `material` for the wrapping public key `spki` with a fresh
 * ephemeral AES-256 key (wiped afterwards).
 * @throws HsmError("invalid_request") when `spki` is not an RSA public key
 */
export async function wrapKeyForImport(
  spki: Uint8Array,
  material: Uint8Array,
): Promise<Uint8Array> {
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("spki", bufferSource(spki), OAEP, false, ["encrypt"]);
  } catch {
    throw new HsmError("invalid_request", "Wrapping public key is not an RSA key");
  }
  const aesKey = crypto.getRandomValues(new Uint8Array(EPHEMERAL_KEY_BYTES));
  try {
    const head = new Uint8Array(await crypto.subtle.encrypt(OAEP, key, aesKey));
    const tail = aesKwpWrap(aesKey, material);
    const out = new Uint8Array(head.length + tail.length);
    out.set(head);
    out.set(tail, head.length);
    return out;
  } finally {
    wipe(aesKey);
  }
}
