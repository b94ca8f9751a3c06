/**
 * JSON for the terminal: a value pretty-printed (two-space indent) as lines of
 * segments, each tagged with its syntax role so a theme can colour it. Strings are
 * JSON-escaped and then made terminal-safe (`safeText`), so a server string holding
 * ESC, C1 or bidi overrides is shown escaped, never interpreted.
 */

import { safeText } from "./sanitize.ts";

/** The syntax role of a segment. */
export type JsonRole = "key" | "string" | "number" | "literal" | "punct" | "space";

/** A run of text with one role. */
export interface JsonSegment {
  readonly text: string;
  readonly role: JsonRole;
}

/** One output line. */
export type JsonLine = readonly JsonSegment[];

/** `value` as highlighted lines (at most `maxLines`; a final "…" line says more were cut). */
export function jsonLines(value: unknown, maxLines = 10_000): JsonLine[] {
  const lines: JsonSegment[][] = [[]];
  const push = (text: string, role: JsonRole): void => {
    lines.at(-1)?.push({ text, role });
  };
  const newline = (depth: number) => {
    lines.push([]);
    if (depth > 0) push("  ".repeat(depth), "space");
  };
  const walk = (v: unknown, depth: number): void => {
    if (lines.length > maxLines) return;
    if (v === null || typeof v === "boolean") return push(String(v), "literal");
    if (typeof v === "number") return push(Number.isFinite(v) ? String(v) : "null", "number");
    if (typeof v === "string") return push(safeText(JSON.stringify(v)), "string");
    if (Array.isArray(v)) {
      if (v.length === 0) return push("[]", "punct");
      push("[", "punct");
      v.forEach((item, i) => {
        newline(depth + 1);
        walk(item, depth + 1);
        if (i < v.length - 1) push(",", "punct");
      });
      newline(depth);
      return push("]", "punct");
    }
    if (typeof v === "object") {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) =>
        x !== undefined
      );
      if (entries.length === 0) return push("{}", "punct");
      push("{", "punct");
      entries.forEach(([k, item], i) => {
        newline(depth + 1);
        push(safeText(JSON.stringify(k)), "key");
        push(": ", "punct");
        walk(item, depth + 1);
        if (i < entries.length - 1) push(",", "punct");
      });
      newline(depth);
      return push("}", "punct");
    }
    push("null", "literal");
  };
  walk(value, 0);
  if (lines.length > maxLines) {
    lines.length = maxLines;
    lines.push([{ text: "…", role: "punct" }]);
  }
  return lines;
}

/** The plain text of highlighted lines (for copying). */
export function jsonText(lines: readonly JsonLine[]): string {
  return lines.map((l) => l.map((s) => s.text).join("")).join("\n");
}
