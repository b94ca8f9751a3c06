/**
 * Rendering for people: aligned columns, no trailing spaces, colours only when enabled.
 */

import assert from "node:assert/strict";
import { details, keyTable, style, table } from "../../src/cli/render.ts";
import type { KeyJson } from "../../src/contract/keys.ts";

Deno.test("tables align every column under its header without trailing spaces", () => {
  const text = table(
    ["ID", "NAME", "STATE"],
    [["a", "payments", "active"], ["bbbb", "x", ""]],
    style(false),
  );
  assert.equal(text, "ID    NAME      STATE\na     payments  active\nbbbb  x");
});

Deno.test("colours appear only when enabled and do not break alignment", () => {
  const key: KeyJson = {
    id: "k1",
    name: "n",
    algorithm: "Ed25519",
    usage: ["sign"],
    tags: {},
    state: "destroyed",
    current_version: 1,
    dual_control: false,
    created_at: "t",
    updated_at: "t",
  };
  const plain = keyTable([key], style(false));
  assert.ok(!plain.includes("\x1b"));
  const coloured = keyTable([key], style(true));
  assert.ok(coloured.includes("\x1b[31mdestroyed\x1b[0m"));
  // deno-lint-ignore no-control-regex
  assert.equal(coloured.replace(/\x1b\[[0-9;]*m/g, ""), plain);
});

Deno.test("details align labels and drop trailing spaces of empty values", () => {
  assert.equal(details([["id", "1"], ["tags", ""]], style(false)), "id    1\ntags");
});
