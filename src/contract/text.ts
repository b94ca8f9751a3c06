/**
 * Text the API refuses to store and the CLI refuses to print raw: characters a terminal
 * or a bidirectional-text renderer acts on instead of showing. C0 controls (ESC starts
 * terminal escape sequences, BEL, CR rewrites a line), DEL, C1 controls (0x9B is a
 * one-byte CSI), the bidi marks, embeddings, overrides and isolates that reorder what a
 * reader sees (Trojan Source), and the Unicode line and paragraph separators.
 */

const CLASS = "\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029" +
  "\\u202a-\\u202e\\u2066-\\u2069";

/** Matches one control character (C0, DEL, C1, bidi controls, line separators). */
export const CONTROL_CHARACTER: RegExp = new RegExp(`[${CLASS}]`, "u");

/** Matches every control character of a string (global; use with `replace`). */
export const CONTROL_CHARACTERS: RegExp = new RegExp(`[${CLASS}]`, "gu");

/** True when `text` holds a character from CONTROL_CHARACTER. */
export function hasControlCharacters(text: string): boolean {
  return CONTROL_CHARACTER.test(text);
}
