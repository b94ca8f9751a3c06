import assert from "node:assert/strict";
import { isSafe, safeLines, safeText } from "../../src/tui/sanitize.ts";

Deno.test("control, C1 and bidi override characters are shown as escapes", () => {
  assert.equal(safeText("a\x1b[2Jb\x07c\rd\x9be\x85f"), "a\\x1b[2Jb\\x07c\\x0dd\\x9be\\x85f");
  assert.equal(safeText("x\u202ey\u2066z\u202a\u2069"), "x\\u202ey\\u2066z\\u202a\\u2069");
  assert.equal(safeText("tab\tnl\n\x7f"), "tab\\x09nl\\x0a\\x7f");
  assert.equal(safeLines("one\ntwo\tthree\r"), "one\ntwo  three\\x0d");
});

Deno.test("ordinary text, accents and wide characters pass unchanged", () => {
  for (const text of ["payments-2026", "clé école", "鍵の管理", "emoji 🔑", "a\u200db"]) {
    assert.equal(safeText(text), text);
    assert.ok(isSafe(text));
  }
  assert.ok(!isSafe("\x1b"));
  assert.ok(!isSafe("\u2067"));
});
