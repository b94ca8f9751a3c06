/**
 * Makes text from the server (or any outside source) safe to put on a terminal: every
 * character a terminal may interpret — C0 controls (ESC, BEL, CR, …), DEL, C1 controls
 * (0x80–0x9F, including the 8-bit CSI and OSC introducers) and the bidirectional
 * overrides and isolates (U+202A–U+202E, U+2066–U+2069) — is replaced by a visible
 * escape such as `\x1b` or `\u202e`. The TUI passes every server string through here
 * before it reaches a `Text`; only the TUI's own styling emits escape sequences.
 */

// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
// deno-lint-ignore no-control-regex -- the same set without LF and TAB
const UNSAFE_KEEP_LINES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** The visible escape of one unsafe character. */
function escapeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** `text` with every control, C1 and bidi-override character shown as an escape. */
export function safeText(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** Like `safeText` but keeps line feeds and turns tabs into two spaces (multi-line output). */
export function safeLines(text: string): string {
  return text.replace(UNSAFE_KEEP_LINES, escapeChar).replaceAll("\t", "  ");
}

/** Any value as safe one-line text (`undefined`/`null` as an empty string). */
export function safeValue(value: unknown): string {
  if (value === undefined || value === null) return "";
  return safeText(typeof value === "string" ? value : String(value));
}

/** True when `text` holds nothing a terminal would interpret. */
export function isSafe(text: string): boolean {
  UNSAFE.lastIndex = 0;
  return !UNSAFE.test(text);
}
