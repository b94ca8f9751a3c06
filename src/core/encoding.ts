/**
 * Byte encodings used at the boundaries: standard base64 (the API's binary format),
 * base64url (JWK/JWS), hex and UTF-8. Decoders are strict: non-canonical input is
 * rejected rather than silently normalised, so two encodings never name one value.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const URL_RE = /^[A-Za-z0-9_-]*$/;

/** The TC39 base64 methods on Uint8Array (native in Deno 2.9's V8, not yet in TS's lib). */
interface Base64Options {
  alphabet?: "base64" | "base64url";
  omitPadding?: boolean;
  lastChunkHandling?: "loose" | "strict" | "stop-before-partial";
}
const NativeUint8Array = Uint8Array as unknown as {
  fromBase64(text: string, options?: Base64Options): Uint8Array<ArrayBuffer>;
};
function nativeToBase64(bytes: Uint8Array, options?: Base64Options): string {
  return (bytes as unknown as { toBase64(o?: Base64Options): string }).toBase64(options);
}

/** Encodes bytes as standard padded base64 (RFC 4648 §4). */
export function toBase64(bytes: Uint8Array): string {
  return nativeToBase64(bytes);
}

/** Decodes canonical standard base64; returns undefined for anything else. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  // "strict" refuses characters outside the alphabet, missing padding and non-zero
  // padding bits, but skips ASCII whitespace: a text longer than the canonical encoding
  // of what it decoded to held whitespace. So every accepted text is the one canonical
  // encoding of its bytes (checked by length: cheaper than a regex over the text).
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = NativeUint8Array.fromBase64(text, { lastChunkHandling: "strict" });
  } catch {
    return undefined;
  }
  return text.length === Math.ceil(bytes.length / 3) * 4 ? bytes : undefined;
}

/** Encodes bytes as unpadded base64url (RFC 4648 §5). */
export function toBase64Url(bytes: Uint8Array): string {
  return nativeToBase64(bytes, { alphabet: "base64url", omitPadding: true });
}

/** Decodes canonical unpadded base64url; returns undefined for anything else. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!URL_RE.test(text) || text.length % 4 === 1) return undefined;
  const padded = text + "=".repeat((4 - (text.length % 4)) % 4);
  try {
    return NativeUint8Array.fromBase64(padded, {
      alphabet: "base64url",
      lastChunkHandling: "strict",
    });
  } catch {
    return undefined;
  }
}

/** Encodes bytes as lowercase hex (the native TC39 method: one string, no per-byte work). */
export function toHex(bytes: Uint8Array): string {
  return (bytes as unknown as { toHex(): string }).toHex();
}

/** Decodes even-length hex (either case); returns undefined for anything else. */
export function fromHex(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  }
  return out;
}

/** UTF-8 encodes a string. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text) as Uint8Array<ArrayBuffer>;
}

/** Strictly decodes UTF-8; throws TypeError on invalid sequences. */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
