import assert from "node:assert/strict";
import { checkCreate, parseTags } from "../../../routes/ui/key_form.ts";
import { decodeCursor, encodeCursor } from "../../../routes/ui/keys.ts";

const values = { name: "k", algorithm: "AES-256-GCM", usage: [], tags: "", dualControl: false };

Deno.test("tags are read one key=value per line and checked like the API's", () => {
  assert.deepEqual(parseTags("env=prod\n\n team = core \r\nempty="), {
    env: "prod",
    team: "core",
    empty: "",
  });
  assert.equal(parseTags("novalue"), "Line 1: write each tag as key=value");
  assert.equal(parseTags("a=1\na=2"), "Line 2: tag a is given twice");
  assert.match(parseTags("bad key=1") as string, /^Tag bad key: keys are/);
  const many = Array.from({ length: 33 }, (_, i) => `t${i}=v`).join("\n");
  assert.equal(parseTags(many), "Use at most 32 tags");
});

Deno.test("the create form answers a request only when every field is right", () => {
  const ok = checkCreate({ ...values, usage: ["encrypt"], tags: "env=prod", dualControl: true });
  assert.deepEqual(ok.errors, {});
  assert.deepEqual(ok.request, {
    name: "k",
    algorithm: "AES-256-GCM",
    usage: ["encrypt"],
    tags: { env: "prod" },
    dualControl: true,
  });
  const bad = checkCreate({ ...values, name: "", algorithm: "DES", usage: ["fly"] });
  assert.equal(bad.request, undefined);
  assert.deepEqual(Object.keys(bad.errors).sort(), ["algorithm", "name", "usage"]);
  assert.equal(
    checkCreate({ ...values, name: "x".repeat(129) }).errors.name,
    "Use at most 128 characters",
  );
});

Deno.test("page cursors round-trip and anything else is refused", () => {
  const cursor = { createdAt: "2030-01-01T00:00:00.000Z", id: "abc_DEF-1" };
  assert.deepEqual(decodeCursor(encodeCursor(cursor)), cursor);
  for (
    const text of [
      "",
      "%%",
      btoa('["x", "y"]'),
      encodeCursor({ createdAt: "2030", id: "a/b" }),
      "A".repeat(300),
    ]
  ) {
    assert.equal(decodeCursor(text), undefined, text);
  }
});
