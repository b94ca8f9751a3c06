import assert from "node:assert/strict";
import { childArgs } from "../../src/policy/sandbox_process.ts";
import { SANDBOX_CHILD_URL, SandboxPool } from "../../src/policy/sandbox_pool.ts";
import { CTX, FAKE_CHILD_URL, script, withPool } from "./_sandbox.ts";

const fake = (digest: string) => ({ digest, script: "unused" });

Deno.test("a child is spawned with no permission flag and runs with no permission granted", async () => {
  const args = childArgs({
    childUrl: SANDBOX_CHILD_URL,
    limits: {
      deadlineMs: 50,
      memoryBytes: 1 << 20,
      stackBytes: 1 << 18,
      maxCachedPolicies: 8,
      maxWasmBytes: 1 << 28,
    },
    heapMb: 64,
  });
  assert.equal(args.some((arg) => arg.startsWith("--allow") || arg === "-A"), false);
  assert.ok(args.includes("--no-prompt") && args.includes("--no-remote"));
  await withPool({ size: 1, childUrl: FAKE_CHILD_URL }, async (pool) => {
    // The fake child queries read, write, net, env, run, ffi, sys and import.
    assert.deepEqual(await pool.evaluate(fake("permissions"), CTX), { allow: true });
  });
});

Deno.test("children start lazily, on the first evaluation", async () => {
  await withPool({ size: 2, childUrl: FAKE_CHILD_URL }, async (pool) => {
    assert.deepEqual(pool.stats, { spawned: 0, messages: 0, killed: 0, crashed: 0 });
    assert.deepEqual(await pool.evaluate(fake("ok"), CTX), { allow: true });
    assert.equal(pool.stats.spawned, 2);
    assert.equal(pool.stats.messages, 1);
  });
});

Deno.test("a child that never answers is killed by the watchdog, and a fresh one serves next", async () => {
  await withPool(
    {
      size: 1,
      childUrl: FAKE_CHILD_URL,
      deadlineMs: 100,
      watchdogMarginMs: 100,
      compileAllowanceMs: 100,
    },
    async (pool) => {
      const outcome = await pool.evaluate(fake("hang"), CTX);
      assert.equal(outcome.allow, false);
      assert.equal(!outcome.allow && outcome.cause, "timeout");
      assert.deepEqual(await pool.evaluate(fake("ok"), CTX), { allow: true });
      assert.equal(pool.stats.killed, 1);
      assert.equal(pool.stats.spawned, 2);
    },
  );
});

for (
  const [digest, what] of [
    ["exit", "exits mid-request"],
    ["garbage", "announces an oversized frame"],
    ["wrong-id", "answers another request"],
  ] as const
) {
  Deno.test(`a child that ${what} is a crashed deny, and is replaced`, async () => {
    await withPool({ size: 1, childUrl: FAKE_CHILD_URL }, async (pool) => {
      const outcome = await pool.evaluate(fake(digest), CTX);
      assert.equal(!outcome.allow && outcome.cause, "crashed");
      assert.deepEqual(await pool.evaluate(fake("ok"), CTX), { allow: true });
      assert.equal(pool.stats.crashed, 1);
      assert.equal(pool.stats.spawned, 2);
    });
  });
}

Deno.test("a pool whose children cannot start denies as unavailable", async () => {
  const missing = new URL("./no_such_child.ts", import.meta.url);
  await withPool({ size: 2, childUrl: missing }, async (pool) => {
    const outcome = await pool.evaluate(fake("ok"), CTX);
    assert.equal(!outcome.allow && outcome.cause, "unavailable");
    // Backing off: the next evaluation fails at once without spawning again.
    const spawned = pool.stats.spawned;
    const again = await pool.evaluate(fake("ok"), CTX);
    assert.equal(!again.allow && again.cause, "unavailable");
    assert.equal(pool.stats.spawned, spawned);
  });
});

Deno.test("evaluations beyond the queue bound, or after close, deny as unavailable", async () => {
  const pool = new SandboxPool({ size: 1, childUrl: FAKE_CHILD_URL, maxQueue: 1 });
  try {
    const busy = pool.evaluate(fake("hang"), CTX);
    const queued = pool.evaluate(fake("ok"), CTX);
    const refused = await pool.evaluate(fake("ok"), CTX);
    assert.equal(!refused.allow && refused.cause, "unavailable");
    await pool.close();
    const [first, second] = await Promise.all([busy, queued]);
    assert.equal(first.allow, false);
    assert.equal(!second.allow && second.cause, "unavailable");
    const late = await pool.evaluate(fake("ok"), CTX);
    assert.equal(!late.allow && late.cause, "unavailable");
  } finally {
    await pool.close();
  }
});

Deno.test("a context too large to frame is an unavailable deny and the child stays", async () => {
  await withPool({ size: 1, childUrl: FAKE_CHILD_URL }, async (pool) => {
    const huge = { ...CTX, actor: { ...CTX.actor, sub: "x".repeat(2 * 1024 * 1024) } };
    const outcome = await pool.evaluate(fake("ok"), huge);
    assert.equal(!outcome.allow && outcome.cause, "unavailable");
    assert.deepEqual(await pool.evaluate(fake("ok"), CTX), { allow: true });
    assert.deepEqual(pool.stats, { spawned: 1, messages: 1, killed: 0, crashed: 0 });
  });
});

Deno.test("a script the child evicted from its cache is sent again", async () => {
  await withPool({ size: 1, maxCachedPolicies: 1, deadlineMs: 2000 }, async (pool) => {
    const first = script("export default () => true");
    const second = script("export default () => !false");
    for (const target of [first, second, first]) {
      assert.deepEqual(await pool.evaluate(target, CTX), { allow: true });
    }
    // first, second, first (answered `missing`), first again with its script.
    assert.equal(pool.stats.messages, 4);
  });
});

Deno.test("a child whose WebAssembly memory outgrew its bound is replaced after answering", async () => {
  await withPool({ size: 1, maxWasmBytes: 1, deadlineMs: 2000 }, async (pool) => {
    const target = script("export default () => true");
    assert.deepEqual(await pool.evaluate(target, CTX), { allow: true });
    assert.deepEqual(await pool.evaluate(target, CTX), { allow: true });
    // The second answer came from a replacement (which may itself be on its way out).
    assert.ok(pool.stats.spawned >= 2);
    assert.equal(pool.stats.crashed, 0);
  });
});

Deno.test("a script that keeps getting children killed is held back without a round trip", async () => {
  await withPool(
    {
      size: 1,
      childUrl: FAKE_CHILD_URL,
      deadlineMs: 100,
      watchdogMarginMs: 100,
      compileAllowanceMs: 100,
      quarantine: { strikes: 2, cooldownMs: 60_000 },
    },
    async (pool) => {
      for (let i = 0; i < 2; i++) {
        const outcome = await pool.evaluate(fake("hang"), CTX);
        assert.equal(!outcome.allow && outcome.detail, "Killed by the watchdog");
      }
      const before = pool.stats;
      const held = await pool.evaluate(fake("hang"), CTX);
      assert.equal(!held.allow && held.cause, "timeout");
      assert.equal(!held.allow && held.detail, "Held back after repeated sandbox kills");
      assert.equal(pool.stats.messages, before.messages);
      assert.deepEqual(await pool.evaluate(fake("ok"), CTX), { allow: true });
    },
  );
});

Deno.test("an evaluation that waited too long for a child denies as unavailable", async () => {
  await withPool(
    { size: 1, childUrl: FAKE_CHILD_URL, deadlineMs: 2000, maxQueueWaitMs: 50 },
    async (pool) => {
      const busy = pool.evaluate(fake("slow"), CTX);
      const waiting = await pool.evaluate(fake("ok"), CTX);
      assert.equal(!waiting.allow && waiting.cause, "unavailable");
      assert.deepEqual(await busy, { allow: true });
    },
  );
});

Deno.test("waiting for a child to start does not count as waiting for a busy child", async () => {
  await withPool({ size: 1, childUrl: FAKE_CHILD_URL, maxQueueWaitMs: 1 }, async (pool) => {
    assert.deepEqual(await pool.evaluate(fake("ok"), CTX), { allow: true });
  });
});

Deno.test("pool options must be positive integers", () => {
  assert.throws(() => new SandboxPool({ size: 0 }), RangeError);
  assert.throws(() => new SandboxPool({ deadlineMs: 1.5 }), RangeError);
});
