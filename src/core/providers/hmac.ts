/**
 * HMAC-SHA256 provider. Material is the raw 32-byte key, imported into a non-extractable
 * Web Crypto key and then wiped. Tags are always the full 32 bytes; `macVerify` goes
 * through `crypto.subtle.verify`, which compares in constant time and returns false for
 * a wrong tag of any length (truncated tags are never accepted).
 */

import type { Algorithm } from "../../domain/algorithms.ts";
import type { LoadedKey, Provider } from "../provider.ts";
import { wipe } from "../zeroize.ts";
import { assertFamily, bufferSource, disposedKey, unreadableMaterial } from "./_common.ts";

const KEY_LENGTH = 32;
const TAG_LENGTH = 32;

class HmacKey implements LoadedKey {
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

  async mac(message: Uint8Array): Promise<Uint8Array> {
    const key = this.#cryptoKey();
    return new Uint8Array(await crypto.subtle.sign("HMAC", key, bufferSource(message)));
  }

  async macVerify(message: Uint8Array, tag: Uint8Array): Promise<boolean> {
    const key = this.#cryptoKey();
    if (tag.length !== TAG_LENGTH) return false;
    return await crypto.subtle.verify("HMAC", key, bufferSource(tag), bufferSource(message));
  }

  dispose(): void {
    this.#key = undefined;
  }
}

/** The HMAC-SHA256 provider (material: raw 32-byte key). */
export const hmacProvider: Provider = Object.freeze({
  // deno-lint-ignore require-await
  async generate(algorithm: Algorithm): Promise<Uint8Array> {
    assertFamily(algorithm, "hmac");
    return crypto.getRandomValues(new Uint8Array(KEY_LENGTH));
  },

  async load(algorithm: Algorithm, material: Uint8Array): Promise<LoadedKey> {
    assertFamily(algorithm, "hmac");
    const raw = bufferSource(material);
    try {
      if (material.length !== KEY_LENGTH) throw unreadableMaterial();
      const key = await crypto.subtle.importKey(
        "raw",
        raw,
        { name: "HMAC", hash: "SHA-256", length: KEY_LENGTH * 8 },
        false,
        ["sign", "verify"],
      );
      return new HmacKey(algorithm, key);
    } catch {
      throw unreadableMaterial();
    } finally {
      wipe(material, raw);
    }
  },
});
