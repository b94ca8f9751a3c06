import assert from "node:assert/strict";
import { isHsmError } from "../../src/domain/errors.ts";
import { ConcurrencyLimiter } from "../../src/http/load_shed.ts";

/** A promise with its resolver exposed. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

function isOverloaded(err: unknown): boolean {
  return isHsmError(err, "unavailable") && err.message === "Server overloaded, retry later";
}

Deno.test("requests beyond the running and queue bounds are shed at once", async () => {
  const limiter = new ConcurrencyLimiter({ maxConcurrent: 2, maxQueue: 1 });
  const g = gate();
  const running = [limiter.run(() => g.promise), limiter.run(() => g.promise)];
  let queuedRan = false;
  const queued = limiter.run(() => {
    queuedRan = true;
  });
  assert.deepEqual(limiter.stats(), {
    running: 2,
    queued: 1,
    maxConcurrent: 2,
    maxQueue: 1,
    shed: 0,
  });
  await assert.rejects(limiter.run(() => "never"), isOverloaded);
  assert.equal(limiter.stats().shed, 1);
  g.open();
  await Promise.all([...running, queued]);
  assert.equal(queuedRan, true);
  assert.deepEqual(limiter.stats(), {
    running: 0,
    queued: 0,
    maxConcurrent: 2,
    maxQueue: 1,
    shed: 1,
  });
});

Deno.test("a queued request runs as soon as a slot is released, first come first served", async () => {
  const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueue: 3 });
  const release = await limiter.acquire();
  const order: number[] = [];
  const waiting = [1, 2, 3].map((n) => limiter.run(() => order.push(n)));
  assert.equal(limiter.stats().queued, 3);
  release();
  release(); // a second call has no effect
  await Promise.all(waiting);
  assert.deepEqual(order, [1, 2, 3]);
  assert.equal(limiter.stats().running, 0);
});

Deno.test("a request that waits longer than the queue timeout is shed", async () => {
  const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueue: 1, queueTimeoutMs: 5 });
  const release = await limiter.acquire();
  await assert.rejects(limiter.acquire(), isOverloaded);
  assert.deepEqual(limiter.stats(), {
    running: 1,
    queued: 0,
    maxConcurrent: 1,
    maxQueue: 1,
    shed: 1,
  });
  release();
  assert.equal(limiter.stats().running, 0);
  const again = await limiter.acquire();
  again();
});

Deno.test("a zero-length queue sheds whenever every slot is busy", async () => {
  const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueue: 0 });
  const release = await limiter.acquire();
  await assert.rejects(limiter.acquire(), isOverloaded);
  release();
});

Deno.test("a failing task still releases its slot", async () => {
  const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueue: 0 });
  await assert.rejects(limiter.run(() => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await limiter.run(() => 42), 42);
});

Deno.test("invalid bounds are programmer errors", () => {
  assert.throws(() => new ConcurrencyLimiter({ maxConcurrent: 0, maxQueue: 1 }), RangeError);
  assert.throws(() => new ConcurrencyLimiter({ maxConcurrent: 1, maxQueue: -1 }), RangeError);
  assert.throws(() => new ConcurrencyLimiter({ maxConcurrent: 1.5, maxQueue: 1 }), RangeError);
  assert.throws(
    () => new ConcurrencyLimiter({ maxConcurrent: 1, maxQueue: 1, queueTimeoutMs: 0 }),
    RangeError,
  );
});
