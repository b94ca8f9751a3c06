/**
 * Test helper: reads a JSON fixture from `tests/core/providers/fixtures/` (small extracts
 * of published vector files; each names its source, see fixtures/SOURCES.md) and decodes
 * hex and base64 fields strictly.
 */

import { fromBase64, fromHex } from "../../../src/core/encoding.ts";

/** Parses `fixtures/<name>`. */
export function readFixture<T>(name: string): T {
  return JSON.parse(Deno.readTextFileSync(new URL(`./fixtures/${name}`, import.meta.url))) as T;
}

/** Decodes a hex field of a fixture (throws on malformed hex: the fixture is broken). */
export function unhex(text: string): Uint8Array<ArrayBuffer> {
  const out = fromHex(text);
  if (out === undefined) throw new TypeError(`Malformed hex in fixture: ${text.slice(0, 16)}`);
  return out;
}

/** Decodes a base64 field of a fixture (throws on malformed base64). */
export function unbase64(text: string): Uint8Array<ArrayBuffer> {
  const out = fromBase64(text);
  if (out === undefined) throw new TypeError(`Malformed base64 in fixture: ${text.slice(0, 16)}`);
  return out;
}
