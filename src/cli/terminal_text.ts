/**
 * Makes server-supplied text safe to print to a terminal: every control character the
 * API contract refuses to store (`src/contract/text.ts`: C0, DEL, C1, bidi controls,
 * line separators) is shown as a visible escape (`\x1b`, `\u202e`) instead of being
 * acted on. A hostile or compromised server, or a record written before the API refused
 * such characters, therefore cannot move the cursor, rewrite lines, recolour output, ring
 * the bell or reorder what the operator reads. Used for human output only; `--json`
 * prints the API's JSON exactly.
 */

import { CONTROL_CHARACTERS } from "../contract/text.ts";

/** Options of `escapeControls`. */
export interface EscapeOptions {
  /** Keep line feeds (multi-line text such as PEM or Prometheus exposition). */
  readonly keepNewlines?: boolean;
}

/** `text` with every control character replaced by a visible escape. */
export function escapeControls(text: string, options: EscapeOptions = {}): string {
  return text.replace(CONTROL_CHARACTERS, (ch) => {
    if (ch === "\n" && options.keepNewlines === true) return ch;
    const code = ch.codePointAt(0) ?? 0;
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
