import { strict as assert } from "node:assert";
import { RequestRate } from "../../src/metrics/request_rate.ts";

Deno.test("requests and errors are counted per second, oldest first", () => {
  let now = 1_000_000_000;
  const rate = new RequestRate({ seconds: 10, clock: () => now });
  rate.record(200);
  rate.record(404);
  now += 1000;
  rate.record(500);
  now += 2500;
  rate.record(200); // the current second is not reported yet
  const s = rate.series(4);
  assert.equal(s.start, 1_000_000 - 1);
  assert.deepStrictEqual(s.requests, [0, 2, 1, 0]);
  assert.deepStrictEqual(s.errors, [0, 1, 1, 0]);
});

Deno.test("a slot reused after the window forgets the old second", () => {
  let now = 0;
  const rate = new RequestRate({ seconds: 5, clock: () => now });
  for (let i = 0; i < 7; i++) rate.record(200);
  now = 5_000; // same slot as second 0
  rate.record(503);
  now = 6_000;
  assert.deepStrictEqual(rate.series().requests, [0, 0, 0, 1]);
  assert.deepStrictEqual(rate.series().errors, [0, 0, 0, 1]);
  now = 60_000; // long idle: everything is stale
  assert.deepStrictEqual(rate.series(3).requests, [0, 0, 0]);
});

Deno.test("the window size is checked", () => {
  assert.throws(() => new RequestRate({ seconds: 1 }), RangeError);
  assert.throws(() => new RequestRate({ seconds: 1.5 }), RangeError);
  assert.equal(new RequestRate().seconds, 600);
});
