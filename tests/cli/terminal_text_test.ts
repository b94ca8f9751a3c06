/**
 * Escaping server-supplied text for the terminal: every control character the API
 * refuses (C0, DEL, C1, bidi controls, line separators) becomes a visible escape, and
 * ordinary text, including non-ASCII letters, is left alone.
 */

import assert from "node:assert/strict";
import { escapeControls } from "../../src/cli/terminal_text.ts";

Deno.test("terminal escapes, bell, carriage return and C1 controls are shown escaped", () => {
  assert.equal(escapeControls("a\x1b[2Jb"), "a\\x1b[2Jb");
  assert.equal(escapeControls("bell\x07"), "bell\\x07");
  assert.equal(escapeControls("fake\rline"), "fake\\x0dline");
  assert.equal(escapeControls("csi\x9b31m"), "csi\\x9b31m");
  assert.equal(escapeControls("del\x7f"), "del\\x7f");
  assert.equal(escapeControls("tab\tnl\n"), "tab\\x09nl\\x0a");
});

Deno.test("bidi overrides, isolates and marks are shown escaped", () => {
  for (const code of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]) {
    const ch = String.fromCodePoint(code);
    assert.equal(escapeControls(`x${ch}y`), `x\\u${code.toString(16)}y`);
  }
  assert.equal(escapeControls("\u200e\u200f\u061c"), "\\u200e\\u200f\\u061c");
  assert.equal(escapeControls("\u2028\u2029"), "\\u2028\\u2029");
});

Deno.test("ordinary text is unchanged and newlines can be kept for multi-line output", () => {
  const text = "Zoë's key: Ж 日本 émoji 🔑 -_.:/@";
  assert.equal(escapeControls(text), text);
  assert.equal(
    escapeControls("-----BEGIN\nAB\x1bC\n", { keepNewlines: true }),
    "-----BEGIN\nAB\\x1bC\n",
  );
});
