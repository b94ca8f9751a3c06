import assert from "node:assert/strict";
import { toPem } from "../../src/core/pem.ts";
import { fromBase64 } from "../../src/core/encoding.ts";

Deno.test("toPem wraps base64 at 64 characters between the armour lines", () => {
  const der = new Uint8Array(100).map((_, i) => i);
  const pem = toPem("PUBLIC KEY", der);
  const lines = pem.trimEnd().split("\n");
  assert.equal(lines[0], "-----BEGIN PUBLIC KEY-----");
  assert.equal(lines.at(-1), "-----END PUBLIC KEY-----");
  assert.ok(lines.slice(1, -1).every((l) => l.length <= 64));
  assert.equal(lines[1]?.length, 64);
  assert.deepEqual(fromBase64(lines.slice(1, -1).join("")), der);
  assert.ok(pem.endsWith("\n"));
});

Deno.test("toPem refuses labels that would break the armour", () => {
  assert.throws(() => toPem("PUBLIC KEY-----\n", new Uint8Array(1)), RangeError);
  assert.throws(() => toPem("", new Uint8Array(1)), RangeError);
});
