/**
 * AES Key Wrap with Padding (RFC 5649, NIST SP 800-38F KWP): wraps key material of any
 * length under a 128/192/256-bit key-encryption key. The BYOK import format
 * (`RSA-OAEP-SHA256-AES-KWP`, CKM_RSA_AES_KEY_WRAP) carries the material this way.
 *
 * Web Crypto offers AES-KW (RFC 3394) only with its fixed initial value, so this module
 * runs the RFC 3394 wrapping function W itself over a single-block AES-ECB from
 * `node:crypto`. Unwrapping checks the alternative initial value, the message length
 * indicator and the zero padding (without branching on which failed) and throws one
 * vague error for every failure.
 *
 * Security caveat: the KEK is given as bytes; `node:crypto` copies it into its cipher
 * context, which JavaScript cannot wipe (it is dropped with the context). Intermediate
 * blocks that held plaintext are wiped here; the caller wipes the KEK and the result.
 */

import { createCipheriv, createDecipheriv } from "node:crypto";
import { HsmError } from "../domain/errors.ts";
import { wipe } from "./zeroize.ts";

/** The first half of RFC 5649's alternative initial value (AIV). */
const AIV_PREFIX = Uint8Array.of(0xa6, 0x59, 0x59, 0xa6);
const SEMIBLOCK = 8;
/** Largest plaintext we wrap: far above any key, far below RFC 5649's 2^32 limit. */
const MAX_PLAINTEXT = 1 << 20;

type Block = (input: Uint8Array) => Uint8Array;

function ecb(kek: Uint8Array, direction: "encrypt" | "decrypt"): Block {
  const name = ({ 16: "aes-128-ecb", 24: "aes-192-ecb", 32: "aes-256-ecb" } as const)[
    kek.length as 16 | 24 | 32
  ];
  if (name === undefined) throw new RangeError("A KWP key must be 16, 24 or 32 bytes");
  const cipher = direction === "encrypt"
    ? createCipheriv(name, kek, null)
    : createDecipheriv(name, kek, null);
  cipher.setAutoPadding(false);
  return (input) => new Uint8Array(cipher.update(input));
}

function unwrapFailed(): HsmError {
  return new HsmError("invalid_request", "Cannot unwrap key material: integrity check failed");
}

/** XORs the 64-bit big-endian counter `t` into the semiblock `a` in place. */
function xorCounter(a: Uint8Array, t: number): void {
  for (let i = 7; i >= 0 && t > 0; i--) {
    a[i] = (a[i] as number) ^ (t & 0xff);
    t = Math.floor(t / 256);
  }
}

/**
 * Wraps `plaintext` (1 byte to 1 MiB) under `kek`; returns 8·⌈m/8⌉ + 8 bytes.
 * @throws RangeError for an empty or oversized plaintext or a KEK of the wrong size
 */
export function aesKwpWrap(kek: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const m = plaintext.length;
  if (m === 0 || m > MAX_PLAINTEXT) throw new RangeError("KWP plaintext must be 1 byte to 1 MiB");
  const encrypt = ecb(kek, "encrypt");
  const n = Math.ceil(m / SEMIBLOCK);
  const out = new Uint8Array((n + 1) * SEMIBLOCK);
  out.set(AIV_PREFIX);
  new DataView(out.buffer).setUint32(4, m);
  out.set(plaintext, SEMIBLOCK); // zero padding: `out` starts zeroed
  if (n === 1) {
    const block = encrypt(out);
    out.set(block);
    wipe(block);
    return out;
  }
  const b = new Uint8Array(16);
  for (let j = 0; j < 6; j++) {
    for (let i = 1; i <= n; i++) {
      b.set(out.subarray(0, SEMIBLOCK));
      b.set(out.subarray(i * SEMIBLOCK, (i + 1) * SEMIBLOCK), SEMIBLOCK);
      const e = encrypt(b);
      out.set(e.subarray(0, SEMIBLOCK));
      xorCounter(out, n * j + i);
      out.set(e.subarray(SEMIBLOCK), i * SEMIBLOCK);
      wipe(e);
    }
  }
  wipe(b);
  return out;
}

/**
 * Unwraps RFC 5649 output under `kek`; the caller owns (and wipes) the result.
 * @throws HsmError("invalid_request") for any malformed or tampered input, one message
 */
export function aesKwpUnwrap(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  const decrypt = ecb(kek, "decrypt");
  if (wrapped.length < 16 || wrapped.length % SEMIBLOCK !== 0) throw unwrapFailed();
  if (wrapped.length > MAX_PLAINTEXT + 2 * SEMIBLOCK) throw unwrapFailed();
  const n = wrapped.length / SEMIBLOCK - 1;
  const r = new Uint8Array(wrapped);
  try {
    if (n === 1) {
      const block = decrypt(r);
      r.set(block);
      wipe(block);
    } else {
      const b = new Uint8Array(16);
      for (let j = 5; j >= 0; j--) {
        for (let i = n; i >= 1; i--) {
          xorCounter(r, n * j + i);
          b.set(r.subarray(0, SEMIBLOCK));
          b.set(r.subarray(i * SEMIBLOCK, (i + 1) * SEMIBLOCK), SEMIBLOCK);
          const d = decrypt(b);
          r.set(d.subarray(0, SEMIBLOCK));
          r.set(d.subarray(SEMIBLOCK), i * SEMIBLOCK);
          wipe(d);
        }
      }
      wipe(b);
    }
    const m = new DataView(r.buffer).getUint32(4);
    let bad = 0;
    for (let i = 0; i < 4; i++) bad |= (r[i] as number) ^ (AIV_PREFIX[i] as number);
    const lengthOk = m > SEMIBLOCK * (n - 1) && m <= SEMIBLOCK * n;
    const end = lengthOk ? SEMIBLOCK + m : r.length;
    for (let i = end; i < r.length; i++) bad |= r[i] as number;
    if (bad !== 0 || !lengthOk) throw unwrapFailed();
    return r.slice(SEMIBLOCK, SEMIBLOCK + m);
  } finally {
    wipe(r);
  }
}
