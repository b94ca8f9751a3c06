/**
 * AES-256-GCM provider. Material is the raw 32-byte key; it is imported into a
 * non-extractable Web Crypto key and the buffer is wiped. `encrypt` draws a fresh
 * 96-bit nonce from the OS CSPRNG for every call and returns nonce‖ciphertext‖tag; with
 * random nonces a key should not encrypt more than 2^32 messages (NIST SP 800-38D §8.3),
 * which key rotation is expected to bound. Every decryption failure throws the same
 * vague error so callers cannot tell a wrong key from a tampered tag.
 */

import type { Algorithm } from "../../domain/algorithms.ts";
import { HsmError } from "../../domain/errors.ts";
import type { LoadedKey, Provider } from "../provider.ts";
import { wipe } from "../zeroize.ts";
import {
  assertFamily,
  bufferSource,
  decryptionFailed,
  disposedKey,
  unreadableMaterial,
} from "./_common.ts";

/** Nonce length in bytes of our ciphertext format. */
export const AES_GCM_NONCE_LENGTH = 12;
/** Tag length in bytes of our ciphertext format. */
export const AES_GCM_TAG_LENGTH = 16;
const KEY_LENGTH = 32;

function gcmParams(nonce: Uint8Array, aad: Uint8Array | undefined): AesGcmParams {
  const params: AesGcmParams = { name: "AES-GCM", iv: bufferSource(nonce), tagLength: 128 };
  if (aad !== undefined) params.additionalData = bufferSource(aad);
  return params;
}

/**
 * Low-level AES-GCM encryption with a caller-chosen nonce and a 128-bit tag; returns
 * ciphertext‖tag. Never reuse a nonce with one key. Web Crypto in Deno accepts only
 * 12- and 16-byte nonces (others reject with a NotSupportedError).
 */
export async function aesGcmEncrypt(
  key: CryptoKey,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.encrypt(gcmParams(nonce, aad), key, bufferSource(plaintext)),
  );
}

/**
 * Low-level AES-GCM decryption of ciphertext‖tag (128-bit tag) with the given nonce.
 * @throws HsmError("invalid_request", "Decryption failed") on any failure
 */
export async function aesGcmDecrypt(
  key: CryptoKey,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  aad?: Uint8Array,
): Promise<Uint8Array> {
  if (ciphertext.length < AES_GCM_TAG_LENGTH) throw decryptionFailed();
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt(gcmParams(nonce, aad), key, bufferSource(ciphertext)),
    );
  } catch {
    throw decryptionFailed();
  }
}

class AesGcmKey implements LoadedKey {
  readonly algorithm: Algorithm;
  #key: CryptoKey | undefined;

  constructor(algorithm: Algorithm, key: CryptoKey) {
    this.algorithm = algorithm;
    this.#key = key;
  }

  #cryptoKey(): CryptoKey {
    if (this.#key === undefined) throw disposedKey();
    return this.#key;
  }

  async encrypt(plaintext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array> {
    const key = this.#cryptoKey();
    const nonce = crypto.getRandomValues(new Uint8Array(AES_GCM_NONCE_LENGTH));
    let sealed: Uint8Array;
    try {
      sealed = await aesGcmEncrypt(key, nonce, plaintext, aad);
    } catch {
      throw new HsmError("invalid_request", "Encryption failed");
    }
    const out = new Uint8Array(nonce.length + sealed.length);
    out.set(nonce);
    out.set(sealed, nonce.length);
    return out;
  }

  async decrypt(ciphertext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array> {
    const key = this.#cryptoKey();
    if (ciphertext.length < AES_GCM_NONCE_LENGTH + AES_GCM_TAG_LENGTH) throw decryptionFailed();
    return await aesGcmDecrypt(
      key,
      ciphertext.subarray(0, AES_GCM_NONCE_LENGTH),
      ciphertext.subarray(AES_GCM_NONCE_LENGTH),
      aad,
    );
  }

  dispose(): void {
    this.#key = undefined; // the CryptoKey is non-extractable; dropping it is all we can do
  }
}

/** The AES-256-GCM provider (material: raw 32-byte key). */
export const aesGcmProvider: Provider = Object.freeze({
  // deno-lint-ignore require-await
  async generate(algorithm: Algorithm): Promise<Uint8Array> {
    assertFamily(algorithm, "aes");
    return crypto.getRandomValues(new Uint8Array(KEY_LENGTH));
  },

  async load(algorithm: Algorithm, material: Uint8Array): Promise<LoadedKey> {
    assertFamily(algorithm, "aes");
    const raw = bufferSource(material);
    try {
      if (material.length !== KEY_LENGTH) throw unreadableMaterial();
      const key = await crypto.subtle.importKey(
        "raw",
        raw,
        { name: "AES-GCM" },
        false,
        ["encrypt", "decrypt"],
      );
      return new AesGcmKey(algorithm, key);
    } catch {
      throw unreadableMaterial();
    } finally {
      wipe(material, raw);
    }
  },
});
