/**
 * A tiny strict DER reader and writer, just enough for PKCS#8, SubjectPublicKeyInfo and
 * ECDSA signatures. The reader rejects everything that is not canonical DER: BER
 * indefinite lengths, long-form lengths where short form suffices, lengths with leading
 * zero bytes, high tag numbers and trailing bytes. It returns `undefined` rather than
 * throwing, so callers map a parse failure to their own error. Readers return views
 * (`subarray`) into the input: wiping the input wipes them too.
 */

/** Universal tags (and the SEQUENCE constructed form) used by the core. */
export const DER_TAG = Object.freeze({
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  sequence: 0x30,
});

/** One DER element: its identifier octet and a view of its contents. */
export interface DerElement {
  readonly tag: number;
  readonly contents: Uint8Array;
}

/** Largest length we accept (4 length octets); far above any key or signature we handle. */
const MAX_LENGTH_OCTETS = 4;

/** Reads one element at `offset`; undefined when it is not strict DER or overruns `input`. */
export function readDer(
  input: Uint8Array,
  offset = 0,
): { element: DerElement; end: number } | undefined {
  let at = offset;
  const tag = input[at++];
  if (tag === undefined || (tag & 0x1f) === 0x1f) return undefined; // high tag numbers unused
  const first = input[at++];
  if (first === undefined) return undefined;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const count = first & 0x7f;
    if (count === 0 || count > MAX_LENGTH_OCTETS) return undefined; // indefinite or huge
    if (at + count > input.length) return undefined;
    if (input[at] === 0) return undefined; // leading zero length octet
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (input[at + i] as number);
    at += count;
    if (length < 0x80) return undefined; // short form would have sufficed
  }
  const end = at + length;
  if (end > input.length) return undefined;
  return { element: { tag, contents: input.subarray(at, end) }, end };
}

/** Parses `input` as exactly one element with no trailing bytes. */
export function decodeDer(input: Uint8Array): DerElement | undefined {
  const read = readDer(input);
  return read !== undefined && read.end === input.length ? read.element : undefined;
}

/** Parses the contents of a constructed element into its children (all of it, strictly). */
export function decodeChildren(contents: Uint8Array): DerElement[] | undefined {
  const out: DerElement[] = [];
  let at = 0;
  while (at < contents.length) {
    const read = readDer(contents, at);
    if (read === undefined) return undefined;
    out.push(read.element);
    at = read.end;
  }
  return out;
}

/** Parses `input` as one SEQUENCE and returns its children. */
export function decodeSequence(input: Uint8Array): DerElement[] | undefined {
  const seq = decodeDer(input);
  return seq?.tag === DER_TAG.sequence ? decodeChildren(seq.contents) : undefined;
}

/**
 * Returns the big-endian magnitude of a non-negative minimally encoded INTEGER (without
 * the sign octet; zero gives an empty array), or undefined for a negative or
 * non-minimal one or a wrong tag.
 */
export function readUnsignedInteger(element: DerElement | undefined): Uint8Array | undefined {
  if (element?.tag !== DER_TAG.integer) return undefined;
  const c = element.contents;
  const b0 = c[0];
  if (b0 === undefined || (b0 & 0x80) !== 0) return undefined; // empty or negative
  if (b0 === 0 && c.length > 1) {
    if (((c[1] as number) & 0x80) === 0) return undefined; // superfluous leading zero
    return c.subarray(1);
  }
  return b0 === 0 ? c.subarray(1) : c;
}

/** Returns a small non-negative INTEGER's value, or undefined (also when above 2^31). */
export function readSmallInteger(element: DerElement | undefined): number | undefined {
  const mag = readUnsignedInteger(element);
  if (mag === undefined || mag.length > 4 || (mag.length === 4 && (mag[0] as number) > 0x7f)) {
    return undefined;
  }
  return mag.reduce((n, b) => n * 256 + b, 0);
}

/** Returns a BIT STRING's bytes when it has no unused bits, else undefined. */
export function readBitStringBytes(element: DerElement | undefined): Uint8Array | undefined {
  if (element?.tag !== DER_TAG.bitString || element.contents[0] !== 0) return undefined;
  return element.contents.subarray(1);
}

/** True when `element` has tag `tag` and contents equal to `contents` (public data only). */
export function isElement(
  element: DerElement | undefined,
  tag: number,
  contents: Uint8Array,
): boolean {
  if (element?.tag !== tag || element.contents.length !== contents.length) return false;
  return element.contents.every((b, i) => b === contents[i]);
}

/** Encodes one element from its tag and the concatenation of `parts`. */
export function encodeDer(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const header: number[] = [tag];
  if (length < 0x80) {
    header.push(length);
  } else {
    const octets: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
    header.push(0x80 | octets.length, ...octets);
  }
  const out = new Uint8Array(header.length + length);
  out.set(header);
  let at = header.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Encodes a non-negative INTEGER from its big-endian magnitude (leading zeros allowed). */
export function encodeUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const mag = magnitude.length === 0 ? new Uint8Array(1) : magnitude.subarray(start);
  const pad = ((mag[0] as number) & 0x80) !== 0;
  return encodeDer(DER_TAG.integer, pad ? new Uint8Array(1) : new Uint8Array(0), mag);
}

/** Encodes a BIT STRING with no unused bits. */
export function encodeBitString(bytes: Uint8Array): Uint8Array {
  return encodeDer(DER_TAG.bitString, new Uint8Array(1), bytes);
}
