import assert from "node:assert/strict";
import { runSelfTests, SELF_TEST_NAMES } from "../../src/core/self_test.ts";

Deno.test("every power-up self-test passes on a healthy build", async () => {
  const report = await runSelfTests();
  assert.deepEqual(
    report.results.filter((r) => !r.ok),
    [],
    "failing self-tests",
  );
  assert.equal(report.ok, true);
  assert.deepEqual(report.results.map((r) => r.name), [...SELF_TEST_NAMES]);
});

for (const name of SELF_TEST_NAMES) {
  Deno.test(`a corrupted ${name} known answer fails only that self-test and the report`, async () => {
    const report = await runSelfTests({ corrupt: [name] });
    assert.equal(report.ok, false);
    const failed = report.results.filter((r) => !r.ok);
    assert.deepEqual(failed.map((r) => r.name), [name]);
    assert.ok((failed[0]?.detail ?? "").length > 0, "a failure says what went wrong");
  });
}

Deno.test("an injected stuck entropy source fails the RNG health self-test", async () => {
  const report = await runSelfTests({ rngSource: (buf) => buf.fill(7) });
  assert.equal(report.ok, false);
  const rng = report.results.find((r) => r.name === "RNG health");
  assert.equal(rng?.ok, false);
  assert.match(rng?.detail ?? "", /^repetition_count: /);
});

Deno.test("an entropy source that throws fails the report instead of throwing", async () => {
  const report = await runSelfTests({
    rngSource: () => {
      throw new Error("device gone");
    },
  });
  assert.equal(report.ok, false);
  assert.equal(report.results.find((r) => r.name === "RNG health")?.ok, false);
});
