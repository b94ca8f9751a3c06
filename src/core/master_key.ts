/**
 * The operator's two 32-byte root secrets, turned into purpose-bound keys with
 * HKDF-SHA-384 (one `info` label per purpose, so no key is ever used for two jobs): the
 * sealing key as a non-extractable Web Crypto key, the two MAC keys as `MacKey`s
 * (synchronous HMAC-SHA-384 in the heap, wiped by `close()`; see mac_key.ts for why and
 * what that exposes). The raw secrets are wiped once derived. A key check value
 * (KCV), stored in the data dir, lets start-up refuse a wrong master key before any
 * sealed record is touched; the KCV is a one-way HKDF/HMAC output and reveals nothing.
 */

import { HsmError } from "../domain/errors.ts";
import { toHex, utf8 } from "./encoding.ts";
import { timingSafeEqual, wipe } from "./zeroize.ts";
import { deriveMacKey, type MacKey } from "./mac_key.ts";

/** Purpose labels for HKDF; changing one invalidates everything sealed with it. */
const INFO = {
  seal: "ferrohsm seal aes-256-gcm v1",
  sealMac: "ferrohsm seal mac hmac-sha-384 v1",
  recordMac: "ferrohsm record mac hmac-sha-384 v1",
  masterKcv: "ferrohsm kcv master v1",
  hmacKcv: "ferrohsm kcv hmac v1",
} as const;

/** Length of each root secret in bytes. */
export const ROOT_KEY_BYTES = 32;

/** Derives a key from a raw root secret with HKDF-SHA-384 (empty salt, `info` label). */
export async function deriveKey(
  raw: Uint8Array,
  info: string,
  algorithm: AesKeyGenParams | HmacImportParams,
  usages: KeyUsage[],
): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", raw as BufferSource, "HKDF", false, [
    "deriveKey",
  ]);
  return await crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-384", salt: new Uint8Array(0), info: utf8(info) },
    base,
    algorithm,
    false,
    usages,
  );
}

function hmac384(): HmacImportParams & { length: number } {
  return { name: "HMAC", hash: "SHA-384", length: 384 };
}

async function kcv(raw: Uint8Array, info: string): Promise<string> {
  const key = await deriveKey(raw, info, hmac384(), ["sign"]);
  const tag = await crypto.subtle.sign("HMAC", key, utf8("ferrohsm key check value"));
  return toHex(new Uint8Array(tag).subarray(0, 16));
}

/** The stored key check values of an installation. */
export interface KeyCheckValues {
  readonly master: string;
  readonly hmac: string;
}

/** Purpose-bound keys derived from the master key and the HMAC key. */
export class RootKeys {
  /** AES-256-GCM key that encrypts key material at rest. */
  readonly sealKey: CryptoKey;
  /** HMAC-SHA-384 key that authenticates sealed versions. */
  readonly sealMacKey: MacKey;
  /** HMAC-SHA-384 key that authenticates key metadata records, approvals and policies. */
  readonly recordMacKey: MacKey;
  /** Check values of the two root secrets. */
  readonly checkValues: KeyCheckValues;

  private constructor(
    sealKey: CryptoKey,
    sealMacKey: MacKey,
    recordMacKey: MacKey,
    checkValues: KeyCheckValues,
  ) {
    this.sealKey = sealKey;
    this.sealMacKey = sealMacKey;
    this.recordMacKey = recordMacKey;
    this.checkValues = checkValues;
  }

  /**
   * Derives the working keys from the raw master and HMAC secrets, then wipes both.
   * @throws RangeError when a secret is not 32 bytes
   */
  static async derive(master: Uint8Array, hmac: Uint8Array): Promise<RootKeys> {
    try {
      if (master.length !== ROOT_KEY_BYTES || hmac.length !== ROOT_KEY_BYTES) {
        throw new RangeError("Cannot use root secrets: each must be 32 bytes");
      }
      const [sealKey, sealMacKey, recordMacKey, masterKcv, hmacKcv] = await Promise.all([
        deriveKey(master, INFO.seal, { name: "AES-GCM", length: 256 }, ["encrypt", "decrypt"]),
        deriveMacKey(hmac, INFO.sealMac),
        deriveMacKey(hmac, INFO.recordMac),
        kcv(master, INFO.masterKcv),
        kcv(hmac, INFO.hmacKcv),
      ]);
      return new RootKeys(sealKey, sealMacKey, recordMacKey, {
        master: masterKcv,
        hmac: hmacKcv,
      });
    } finally {
      wipe(master, hmac);
    }
  }

  /** Wipes the two MAC keys; MACs fail afterwards. Idempotent. */
  close(): void {
    this.sealMacKey.close();
    this.recordMacKey.close();
  }

  /**
   * Compares these keys' check values with the stored ones.
   * @throws HsmError("integrity_error") naming which root secret does not match
   */
  assertMatches(stored: KeyCheckValues): void {
    const same = (a: string, b: string) => timingSafeEqual(utf8(a), utf8(b));
    if (!same(this.checkValues.master, stored.master)) {
      throw new HsmError(
        "integrity_error",
        "Cannot open the data dir: the master key does not match its check value",
      );
    }
    if (!same(this.checkValues.hmac, stored.hmac)) {
      throw new HsmError(
        "integrity_error",
        "Cannot open the data dir: the HMAC key does not match its check value",
      );
    }
  }
}
