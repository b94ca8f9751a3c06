/**
 * An HMAC-SHA-384 key of 48 bytes, derived with HKDF-SHA-384 from the operator's HMAC
 * secret and used synchronously through `@noble/hashes`: the audit MAC key (chain.ts
 * `deriveAuditMacKey`) and the two root MAC keys that authenticate sealed versions and
 * records (master_key.ts). A MAC then costs no Web Crypto round trip (≈ 45 µs of CPU per
 * call here, about half of it on the calling thread) — issue 12. The MACs are byte-identical to
 * Web Crypto's HMAC-SHA-384 under the same key (tested), so data MAC'd before stays valid.
 *
 * Security caveats: unlike a non-extractable `CryptoKey`, the derived key lives in the
 * JavaScript heap: one private 48-byte buffer, plus noble's pre-keyed inner and outer
 * SHA-384 states (derived from it, as good as the key) so each MAC skips the two key
 * blocks. Both are zeroed by `close()` (the composition root closes the keys with the
 * services; the offline verifier closes its key when done). A heap dump of the running
 * server reveals the keys, which lets its holder forge audit entries, records or sealed
 * blobs' MACs; the threat model (docs/threat-model.md) already treats the server's memory
 * as trusted, as it holds the unsealed keys too. Per-MAC clones of the states are
 * destroyed (zeroed) by noble after each digest. The sealing AES key stays a
 * non-extractable `CryptoKey`.
 */

import { type _HMAC, hmac } from "@noble/hashes/hmac.js";
import { sha384 } from "@noble/hashes/sha2.js";
import { utf8 } from "./encoding.ts";
import { timingSafeEqual, wipe } from "./zeroize.ts";

/** Length of a MAC key and of each MAC, in bytes. */
export const MAC_KEY_BYTES = 48;

/** An HMAC-SHA-384 key held for synchronous MACs; `close()` wipes it. */
export class MacKey {
  readonly #key: Uint8Array;
  readonly #keyed: _HMAC<ReturnType<typeof sha384.create>>;
  #closed = false;

  private constructor(key: Uint8Array) {
    this.#key = key;
    this.#keyed = hmac.create(sha384, key);
  }

  /**
   * A key holding a copy of `bytes` (48 bytes; the caller wipes its own copy).
   * @throws RangeError when `bytes` is not 48 bytes long
   */
  static fromBytes(bytes: Uint8Array): MacKey {
    if (bytes.length !== MAC_KEY_BYTES) {
      throw new RangeError("A MAC key must be 48 bytes");
    }
    return new MacKey(new Uint8Array(bytes));
  }

  /** True once `close()` ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * HMAC-SHA-384 over the concatenation of `parts` (without concatenating them).
   * @throws TypeError after `close()`
   */
  mac(...parts: readonly Uint8Array[]): Uint8Array {
    if (this.#closed) throw new TypeError("Cannot MAC: the key is closed");
    const h = this.#keyed.clone();
    for (const p of parts) h.update(p);
    return h.digest();
  }

  /**
   * True when `mac` is the MAC of the concatenated `parts` (constant-time compare).
   * @throws TypeError after `close()`
   */
  verify(mac: Uint8Array, ...parts: readonly Uint8Array[]): boolean {
    return timingSafeEqual(mac, this.mac(...parts));
  }

  /** Zeroes the key and its pre-keyed states; further use throws. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    wipe(this.#key);
    this.#keyed.destroy();
  }
}

/**
 * Derives a MacKey from a raw root secret: HKDF-SHA-384 (empty salt, `info` label, 48
 * bytes), the same bytes Web Crypto's `deriveKey` gives an HMAC-SHA-384 key of 384 bits.
 * The caller keeps (and wipes) `raw`; the derived bytes are wiped once held.
 */
export async function deriveMacKey(raw: Uint8Array, info: string): Promise<MacKey> {
  const copy = new Uint8Array(raw);
  let ikm: CryptoKey;
  try {
    ikm = await crypto.subtle.importKey("raw", copy, "HKDF", false, ["deriveBits"]);
  } finally {
    wipe(copy);
  }
  const bits = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-384", salt: new Uint8Array(0), info: utf8(info) },
      ikm,
      MAC_KEY_BYTES * 8,
    ),
  );
  try {
    return MacKey.fromBytes(bits);
  } finally {
    wipe(bits);
  }
}
