/**
 * Zeroisation helpers. JavaScript cannot guarantee that no copy of a secret survives
 * (the GC may move buffers), but every buffer we own is overwritten as soon as it is
 * no longer needed, which bounds the window in which a heap dump reveals it.
 */

/** Overwrites each buffer with zeros. */
export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  for (const b of buffers) b?.fill(0);
}

/** Constant-time comparison of two byte arrays (length is not secret). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
