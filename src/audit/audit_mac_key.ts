/**
 * The audit MAC key: HMAC-SHA-384 under the 48-byte key derived from the operator's HMAC
 * key (chain.ts `deriveAuditMacKey`), computed synchronously with `@noble/hashes`, so an
 * audit batch costs no Web Crypto round trip per entry (issue 12). The MACs are
 * byte-identical to Web Crypto's HMAC-SHA-384 under the same key (tested).
 *
 * Security caveats: unlike a non-extractable `CryptoKey`, the derived key lives in the
 * JavaScript heap: one private 48-byte buffer, plus noble's pre-keyed inner and outer
 * SHA-384 states (derived from it, as good as the key) so each MAC skips the two key
 * blocks. Both are zeroed by `close()` (the composition root closes the key with the
 * services; the offline verifier closes it when done). A heap dump of the running
 * server reveals the key, which lets its holder forge audit entries; the threat model
 * (docs/threat-model.md) already treats the server's memory as trusted, as it holds the
 * unsealed keys too. Per-MAC clones of the states are destroyed (zeroed) by noble after
 * each digest.
 */

import { type _HMAC, hmac } from "@noble/hashes/hmac.js";
import { sha384 } from "@noble/hashes/sha2.js";
import { timingSafeEqual, wipe } from "../core/zeroize.ts";

/** Length of the derived audit MAC key and of each MAC, in bytes. */
export const AUDIT_MAC_BYTES = 48;

/** HMAC-SHA-384 key that MACs audit entries and anchors; `close()` wipes it. */
export class AuditMacKey {
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
  static fromBytes(bytes: Uint8Array): AuditMacKey {
    if (bytes.length !== AUDIT_MAC_BYTES) {
      throw new RangeError("The audit MAC key must be 48 bytes");
    }
    return new AuditMacKey(new Uint8Array(bytes));
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
    if (this.#closed) throw new TypeError("Cannot MAC with the audit key: it is closed");
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
