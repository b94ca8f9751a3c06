import assert from "node:assert/strict";
import { Quarantine } from "../../src/policy/quarantine.ts";

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

Deno.test("a digest is held after three strikes in a row, until the cooldown passes", () => {
  const time = clock();
  const q = new Quarantine({ strikes: 3, cooldownMs: 1000, clock: time.now });
  assert.equal(q.strike("d", "timeout"), false);
  assert.equal(q.strike("d", "timeout"), false);
  assert.equal(q.held("d"), undefined);
  assert.equal(q.strike("d", "crashed"), true);
  assert.equal(q.held("d"), "crashed");
  assert.equal(q.held("other"), undefined);
  time.advance(1001);
  assert.equal(q.held("d"), undefined);
  // After the cooldown one failure is enough to hold it again.
  assert.equal(q.strike("d", "timeout"), true);
  assert.equal(q.held("d"), "timeout");
});

Deno.test("an answer clears the strikes of a digest", () => {
  const q = new Quarantine({ strikes: 2, clock: clock().now });
  q.strike("d", "timeout");
  q.clear("d");
  assert.equal(q.strike("d", "timeout"), false);
  assert.equal(q.held("d"), undefined);
});

Deno.test("the digests tracked are bounded", () => {
  const q = new Quarantine({ strikes: 1, maxEntries: 2, clock: clock().now });
  q.strike("a", "timeout");
  q.strike("b", "timeout");
  q.strike("c", "timeout");
  assert.equal(q.held("a"), undefined);
  assert.equal(q.held("b"), "timeout");
  assert.equal(q.held("c"), "timeout");
});
