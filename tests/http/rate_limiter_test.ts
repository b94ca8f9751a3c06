import assert from "node:assert/strict";
import { RateLimiter } from "../../src/http/rate_limiter.ts";

/** A manual clock in milliseconds. */
function manualClock(start = 1_000_000) {
  let now = start;
  return {
    clock: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

Deno.test("a fresh bucket allows a burst of twice the rate, then refuses", () => {
  const t = manualClock();
  const limiter = new RateLimiter({ defaultRps: 2, clock: t.clock });
  for (let i = 0; i < 4; i++) assert.deepEqual(limiter.take("sub:a"), { allowed: true });
  assert.deepEqual(limiter.take("sub:a"), { allowed: false, retryAfterS: 1 });
  assert.equal(limiter.stats().limited, 1);
});

Deno.test("tokens refill at the configured rate and never beyond the burst", () => {
  const t = manualClock();
  const limiter = new RateLimiter({ defaultRps: 2, defaultBurst: 3, clock: t.clock });
  for (let i = 0; i < 3; i++) assert.equal(limiter.take("k").allowed, true);
  assert.equal(limiter.take("k").allowed, false);
  t.advance(499); // 0.998 tokens
  assert.equal(limiter.take("k").allowed, false);
  t.advance(1); // 1 token
  assert.equal(limiter.take("k").allowed, true);
  assert.equal(limiter.take("k").allowed, false);
  t.advance(60_000); // refills to the burst of 3, not 120
  for (let i = 0; i < 3; i++) assert.equal(limiter.take("k").allowed, true);
  assert.equal(limiter.take("k").allowed, false);
});

Deno.test("refused requests do not consume tokens", () => {
  const t = manualClock();
  const limiter = new RateLimiter({ defaultRps: 1, defaultBurst: 1, clock: t.clock });
  assert.equal(limiter.take("k").allowed, true);
  for (let i = 0; i < 10; i++) assert.equal(limiter.take("k").allowed, false);
  t.advance(1000);
  assert.equal(limiter.take("k").allowed, true);
});

Deno.test("Retry-After is the ceiling of the seconds until one token is available", () => {
  const t = manualClock();
  // 0.25 rps: an empty bucket needs 4 s for one token.
  const limiter = new RateLimiter({ defaultRps: 0.25, defaultBurst: 1, clock: t.clock });
  assert.equal(limiter.take("k").allowed, true);
  assert.deepEqual(limiter.take("k"), { allowed: false, retryAfterS: 4 });
  t.advance(1);
  assert.deepEqual(limiter.take("k"), { allowed: false, retryAfterS: 4 });
  t.advance(999); // 3 s to go exactly
  assert.deepEqual(limiter.take("k"), { allowed: false, retryAfterS: 3 });
  t.advance(2_500); // 0.5 s to go: never 0
  assert.deepEqual(limiter.take("k"), { allowed: false, retryAfterS: 1 });
  t.advance(500);
  assert.deepEqual(limiter.take("k"), { allowed: true });
});

Deno.test("Retry-After is at least one second even for fast rates", () => {
  const t = manualClock();
  const limiter = new RateLimiter({ defaultRps: 1000, clock: t.clock });
  for (let i = 0; i < 2000; i++) assert.equal(limiter.take("k").allowed, true);
  assert.deepEqual(limiter.take("k"), { allowed: false, retryAfterS: 1 });
});

Deno.test("the most generous limit among the actor's roles applies", () => {
  const t = manualClock();
  const limiter = new RateLimiter({
    defaultRps: 2,
    roleLimits: {
      Service: { rps: 100, burst: 10 },
      Auditor: { rps: 1, burst: 1 },
      Operator: { rps: 100, burst: 20 },
    },
    clock: t.clock,
  });
  assert.deepEqual(limiter.limitFor(["Auditor"]), { rps: 1, burst: 1 });
  assert.deepEqual(limiter.limitFor(["Auditor", "Administrator"]), { rps: 2, burst: 4 });
  assert.deepEqual(limiter.limitFor(["Auditor", "Service"]), { rps: 100, burst: 10 });
  assert.deepEqual(limiter.limitFor(["Service", "Operator"]), { rps: 100, burst: 20 });
  assert.deepEqual(limiter.limitFor([]), { rps: 2, burst: 4 });
  assert.deepEqual(limiter.limitFor(["__proto__", "toString"]), { rps: 2, burst: 4 });

  let allowed = 0;
  while (limiter.take("sub:svc", ["Auditor", "Service"]).allowed) allowed++;
  assert.equal(allowed, 10);
  assert.equal(limiter.take("sub:aud", ["Auditor"]).allowed, true);
  assert.equal(limiter.take("sub:aud", ["Auditor"]).allowed, false);
});

Deno.test("keys without roles use the default limit", () => {
  const t = manualClock();
  const limiter = new RateLimiter({
    defaultRps: 1,
    roleLimits: { Service: { rps: 100, burst: 200 } },
    clock: t.clock,
  });
  assert.equal(limiter.take("ip:10.0.0.1").allowed, true);
  assert.equal(limiter.take("ip:10.0.0.1").allowed, true);
  assert.equal(limiter.take("ip:10.0.0.1").allowed, false);
});

Deno.test("actors have independent buckets", () => {
  const t = manualClock();
  const limiter = new RateLimiter({ defaultRps: 1, defaultBurst: 1, clock: t.clock });
  assert.equal(limiter.take("sub:a").allowed, true);
  assert.equal(limiter.take("sub:a").allowed, false);
  assert.equal(limiter.take("sub:b").allowed, true);
});

Deno.test("a flood of distinct actors keeps the limiter within its bound", () => {
  const t = manualClock();
  const limiter = new RateLimiter({ defaultRps: 1, clock: t.clock });
  for (let i = 0; i < 5000; i++) {
    assert.equal(limiter.take(`sub:actor-${i}`).allowed, true);
    assert.ok(limiter.stats().actors <= 4096);
  }
  const stats = limiter.stats();
  assert.equal(stats.actors, 4096);
  assert.equal(stats.maxActors, 4096);
  assert.equal(stats.evictions, 5000 - 4096);
});

Deno.test("the least recently seen actor is the one evicted", () => {
  const t = manualClock();
  const limiter = new RateLimiter({
    defaultRps: 1,
    defaultBurst: 1,
    maxActors: 2,
    clock: t.clock,
  });
  assert.equal(limiter.take("a").allowed, true);
  assert.equal(limiter.take("b").allowed, true);
  assert.equal(limiter.take("a").allowed, false); // a is now most recent
  assert.equal(limiter.take("c").allowed, true); // evicts b
  assert.equal(limiter.take("a").allowed, false); // a kept its empty bucket
  assert.equal(limiter.take("b").allowed, true); // b came back full
  assert.equal(limiter.stats().actors, 2);
});

Deno.test("an idle bucket expires and a returning actor starts full", () => {
  const t = manualClock();
  // 0.001 rps would need 1000 s to refill one token; expiry after 5 min resets it.
  const limiter = new RateLimiter({ defaultRps: 0.001, defaultBurst: 1, clock: t.clock });
  assert.equal(limiter.take("sub:a").allowed, true);
  assert.equal(limiter.take("sub:a").allowed, false);
  t.advance(299_999);
  assert.equal(limiter.take("sub:a").allowed, false); // touched: idle time restarts
  t.advance(300_000);
  assert.equal(limiter.take("sub:a").allowed, true);
});

Deno.test("prune drops idle buckets", () => {
  const t = manualClock();
  const limiter = new RateLimiter({ defaultRps: 1, idleMs: 1000, clock: t.clock });
  for (let i = 0; i < 10; i++) limiter.take(`k${i}`);
  t.advance(500);
  limiter.take("k0");
  t.advance(500);
  assert.equal(limiter.stats().actors, 10);
  assert.equal(limiter.prune(), 9);
  assert.equal(limiter.stats().actors, 1);
});

Deno.test("a clock that steps backwards grants no tokens", () => {
  const t = manualClock();
  const limiter = new RateLimiter({ defaultRps: 1, defaultBurst: 1, clock: t.clock });
  assert.equal(limiter.take("k").allowed, true);
  t.advance(-10_000);
  assert.equal(limiter.take("k").allowed, false);
});

Deno.test("invalid limits are programmer errors", () => {
  assert.throws(() => new RateLimiter({ defaultRps: 0 }), RangeError);
  assert.throws(() => new RateLimiter({ defaultRps: Number.NaN }), RangeError);
  assert.throws(() => new RateLimiter({ defaultRps: 1, defaultBurst: 0.5 }), RangeError);
  assert.throws(
    () => new RateLimiter({ defaultRps: 1, roleLimits: { Service: { rps: -1, burst: 1 } } }),
    RangeError,
  );
  assert.throws(() => new RateLimiter({ defaultRps: 1, maxActors: 0 }), RangeError);
  assert.throws(() => new RateLimiter({ defaultRps: 1, idleMs: 0 }), RangeError);
});

Deno.test("a node's share scales every rate and burst, never below one token", () => {
  const t = manualClock();
  const limiter = new RateLimiter({ defaultRps: 10, defaultBurst: 20, clock: t.clock });
  limiter.setShare(1 / 4);
  assert.equal(limiter.share, 0.25);
  for (let i = 0; i < 5; i++) assert.equal(limiter.take("k").allowed, true);
  assert.deepEqual(limiter.take("k"), { allowed: false, retryAfterS: 1 });
  t.advance(400); // 2.5 rps × 0.4 s = 1 token
  assert.equal(limiter.take("k").allowed, true);
  const tiny = new RateLimiter({ defaultRps: 1, defaultBurst: 1, clock: t.clock });
  tiny.setShare(1 / 8);
  assert.equal(tiny.take("k").allowed, true);
  assert.deepEqual(tiny.take("k"), { allowed: false, retryAfterS: 8 });
  assert.throws(() => tiny.setShare(0), RangeError);
  assert.throws(() => tiny.setShare(1.5), RangeError);
});
