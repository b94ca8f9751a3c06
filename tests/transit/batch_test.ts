import assert from "node:assert/strict";
import { HsmError } from "../../src/domain/errors.ts";
import { runBatch } from "../../src/transit/batch.ts";
import { VaultFields } from "../../src/transit/vault_format.ts";

const items = (...refs: string[]) => refs.map((reference) => new VaultFields({ reference }));

function failing(failures: Record<string, HsmError>) {
  return (item: VaultFields) => {
    const ref = item.string("reference") ?? "";
    const failure = failures[ref];
    return failure === undefined ? Promise.resolve({ ok: ref }) : Promise.reject(failure);
  };
}

Deno.test("results keep the input order and echo each reference", async () => {
  const out = await runBatch(items("a", "b", "c"), failing({}));
  assert.equal(out.status, 200);
  assert.deepEqual(out.results, [
    { ok: "a", reference: "a" },
    { ok: "b", reference: "b" },
    { ok: "c", reference: "c" },
  ]);
});

Deno.test("a user error is 400 unless the caller chose a partial failure code", async () => {
  const fn = failing({ b: new HsmError("invalid_request", "bad input") });
  const out = await runBatch(items("a", "b"), fn);
  assert.equal(out.status, 400);
  assert.deepEqual(out.results[1], { error: "bad input", reference: "b" });
  assert.equal((await runBatch(items("a", "b"), fn, 207)).status, 207);
  // When nothing succeeded the partial failure code does not apply.
  assert.equal((await runBatch(items("b"), fn, 207)).status, 400);
});

Deno.test("a server-side failure answers its status, and an unknown error says nothing", async () => {
  const fn = failing({
    a: new HsmError("audit_unavailable", "Audit log unavailable"),
    b: new HsmError("forbidden", "Cannot perform key:use:aes: not permitted"),
  });
  const out = await runBatch(items("a", "b", "c"), fn);
  assert.equal(out.status, 503);
  const odd = await runBatch(items("x"), () => Promise.reject(new Error("secret detail")));
  assert.equal(odd.status, 500);
  assert.deepEqual(odd.results, [{ error: "internal error", reference: "x" }]);
});
