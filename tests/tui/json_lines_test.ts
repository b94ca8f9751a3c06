import assert from "node:assert/strict";
import { jsonLines, jsonText } from "../../src/tui/json_lines.ts";

Deno.test("JSON is pretty-printed with roles and escaped strings", () => {
  const lines = jsonLines({ name: "a\u202eb\x9b", n: 1, ok: true, none: null, list: [], tags: {} });
  assert.equal(
    jsonText(lines),
    '{\n  "name": "a\\u202eb\\x9b",\n  "n": 1,\n  "ok": true,\n  "none": null,\n  "list": [],\n  "tags": {}\n}',
  );
  assert.deepEqual(lines[1]?.map((s) => s.role), ["space", "key", "punct", "string", "punct"]);
  assert.equal(lines[2]?.[3]?.role, "number");
  assert.equal(lines[3]?.[3]?.role, "literal");
  assert.equal(jsonLines(Array.from({ length: 50 }, (_, i) => i), 10).at(-1)?.[0]?.text, "…");
});
