/**
 * Each limit of the sandbox ends in a deny within the deadline plus the watchdog margin
 * (default 50 ms + 50 ms). The bound asserted adds SLACK_MS for timer and scheduling
 * jitter on a loaded CI machine; a script the limits did not stop would run for seconds
 * (GC thrash) or forever, far past it.
 */

import assert from "node:assert/strict";
import type { PolicyDenyCause, ScriptOutcome } from "../../src/policy/policy_types.ts";
import type { SandboxPool } from "../../src/policy/sandbox_pool.ts";
import { CTX, script, withPool } from "./_sandbox.ts";

const SLACK_MS = 400;

/** Compiles `source` (its top level is harmless), then times one evaluation. */
async function evaluateTimed(
  pool: SandboxPool,
  source: string,
): Promise<{ outcome: ScriptOutcome; elapsed: number }> {
  const target = script(source);
  assert.deepEqual(await pool.validate(target), { allow: true });
  const started = performance.now();
  const outcome = await pool.evaluate(target, CTX);
  return { outcome, elapsed: performance.now() - started };
}

async function assertLimitDenies(
  source: string,
  causes: readonly PolicyDenyCause[],
): Promise<void> {
  await withPool({ size: 1 }, async (pool) => {
    const { outcome, elapsed } = await evaluateTimed(pool, source);
    assert.equal(outcome.allow, false);
    assert.ok(!outcome.allow && causes.includes(outcome.cause), JSON.stringify(outcome));
    const { deadlineMs, watchdogMarginMs } = pool.timing;
    assert.ok(elapsed < deadlineMs + watchdogMarginMs + SLACK_MS, `took ${elapsed} ms`);
    // Whatever happened to the child, the next evaluation is answered.
    const next = await pool.evaluate(script("export default () => true"), CTX);
    assert.deepEqual(next, { allow: true });
  });
}

Deno.test("an infinite loop is a timeout deny", async () => {
  await assertLimitDenies("export default () => { for (;;) {} }", ["timeout"]);
});

Deno.test("deep recursion is a deny (stack cap)", async () => {
  await assertLimitDenies(
    "export default () => { const f = (n) => f(n + 1) + 1; return f(0); }",
    ["threw"],
  );
});

Deno.test("an array memory bomb is a deny", async () => {
  await assertLimitDenies(
    "export default () => { const a = []; for (;;) a.push(new Array(100000).fill(1.5)); }",
    ["memory", "timeout"],
  );
});

Deno.test("a string memory bomb is a deny", async () => {
  await assertLimitDenies(
    "export default () => { const a = []; for (;;) a.push('y'.repeat(1 << 20)); }",
    ["memory", "timeout"],
  );
});

Deno.test("catastrophic regex backtracking is a timeout deny", async () => {
  await assertLimitDenies(
    "export default () => /(a+)+$/.test('a'.repeat(64) + 'b')",
    ["timeout"],
  );
});

Deno.test("an allocation beyond the heap cap is a memory deny", async () => {
  await assertLimitDenies("export default () => 'x'.repeat(1e8).length > 0", ["memory"]);
});

Deno.test("a memory bomb that evades the interrupt handler gets its child killed and replaced", async () => {
  await withPool({ size: 1 }, async (pool) => {
    // GC thrash near the heap cap: QuickJS does not call its interrupt handler for
    // seconds, so only the watchdog's SIGKILL ends it.
    const { outcome } = await evaluateTimed(
      pool,
      "export default () => { const a = []; for (;;) a.push('y'.repeat(1 << 20)); }",
    );
    assert.equal(!outcome.allow && outcome.detail, "Killed by the watchdog");
    assert.deepEqual(await pool.evaluate(script("export default () => true"), CTX), {
      allow: true,
    });
    assert.equal(pool.stats.killed, 1);
    assert.equal(pool.stats.spawned, 2);
  });
});

Deno.test("scripts see no Deno, fetch, timers, console, eval or Function constructor", async () => {
  await withPool({ size: 1, deadlineMs: 2000 }, async (pool) => {
    const probe = `export default () =>
      typeof Deno === "undefined" && typeof fetch === "undefined" &&
      typeof setTimeout === "undefined" && typeof setInterval === "undefined" &&
      typeof queueMicrotask === "undefined" && typeof console === "undefined" &&
      typeof eval === "undefined" && typeof require === "undefined" &&
      typeof std === "undefined" && typeof os === "undefined" &&
      typeof WebAssembly === "undefined"`;
    assert.deepEqual(await pool.evaluate(script(probe), CTX), { allow: true });
    for (
      const body of [
        "Deno.exit(0)",
        "fetch('http://127.0.0.1/')",
        "setTimeout(() => {}, 1)",
        "(() => {}).constructor('return 1')()",
        "Function('return 1')()",
        "(async () => {}).constructor('return 1')",
      ]
    ) {
      const outcome = await pool.evaluate(
        script(`export default () => { ${body}; return true; }`),
        CTX,
      );
      assert.equal(!outcome.allow && outcome.cause, "threw", body);
    }
  });
});

Deno.test("scripts cannot load modules, statically or with import()", async () => {
  await withPool({ size: 1, deadlineMs: 2000 }, async (pool) => {
    const dynamic = await pool.evaluate(script("export default () => import('./x.js')"), CTX);
    assert.equal(!dynamic.allow && dynamic.cause, "invalid_result");
    const awaited = await pool.evaluate(
      script("export default async () => { await import('node:fs'); return true; }"),
      CTX,
    );
    assert.equal(!awaited.allow && awaited.cause, "invalid_result");
    const staticImport = await pool.validate(
      script("import fs from 'node:fs'; export default () => true"),
    );
    assert.equal(!staticImport.allow && staticImport.cause, "threw");
  });
});

Deno.test("globalThis and intrinsics tampering does not leak between evaluations", async () => {
  await withPool({ size: 1, deadlineMs: 2000 }, async (pool) => {
    const tamper = script(`export default () => {
      const clean = globalThis.leak === undefined && ({}).leak === undefined &&
        typeof [].push === "function" && JSON.stringify([1]) === "[1]";
      try { globalThis.leak = 1; } catch {}
      try { Object.prototype.leak = 1; } catch {}
      try { Array.prototype.push = null; } catch {}
      try { JSON.stringify = () => "x"; } catch {}
      try { Object.defineProperty(globalThis, "leak", { value: 1 }); } catch {}
      return clean;
    }`);
    const other = script(
      `export default () => globalThis.leak === undefined && ({}).leak === undefined`,
    );
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(await pool.evaluate(tamper, CTX), { allow: true });
      assert.deepEqual(await pool.evaluate(other, CTX), { allow: true });
    }
  });
});

Deno.test("ctx is a frozen deep copy", async () => {
  await withPool({ size: 1, deadlineMs: 2000 }, async (pool) => {
    const frozen = script(`export default (ctx) => Object.isFrozen(ctx) &&
      Object.isFrozen(ctx.actor.roles) && Object.isFrozen(ctx.key.tags) &&
      Object.isFrozen(ctx.request.utc) && ctx.key.tags.team === "payments"`);
    assert.deepEqual(await pool.evaluate(frozen, CTX), { allow: true });
    const writes = await pool.evaluate(
      script("export default (ctx) => { ctx.actor.roles.push('Administrator'); return true; }"),
      CTX,
    );
    assert.equal(!writes.allow && writes.cause, "threw");
  });
});

Deno.test("results other than true, false or {deny: string} are invalid_result denies", async () => {
  await withPool({ size: 1, deadlineMs: 2000 }, async (pool) => {
    for (
      const value of ["1", "'yes'", "null", "undefined", "({ allow: true })", "({ deny: 5 })", "[]"]
    ) {
      const outcome = await pool.evaluate(script(`export default () => ${value}`), CTX);
      assert.equal(!outcome.allow && outcome.cause, "invalid_result", value);
    }
    const reasoned = await pool.evaluate(
      script("export default () => ({ deny: 'not today' })"),
      CTX,
    );
    assert.deepEqual(reasoned, { allow: false, cause: "denied", reason: "not today" });
    const plain = await pool.evaluate(script("export default () => false"), CTX);
    assert.equal(!plain.allow && plain.cause, "denied");
    const thrown = await pool.evaluate(
      script("export default () => { throw new Error('nope'); }"),
      CTX,
    );
    assert.equal(!thrown.allow && thrown.detail, "Error: nope");
  });
});

Deno.test("the business-hours example allows inside the configured zone's hours only", async () => {
  const { buildPolicyContext } = await import("../../src/policy/policy_context.ts");
  const hours = script(
    'export default (ctx) => ctx.hour >= 9 && ctx.hour < 17 || {deny: "outside business hours"}',
  );
  const at = (iso: string) =>
    buildPolicyContext({
      actor: { sub: "alice", roles: ["Operator"] },
      action: "sign",
      request: { time: new Date(iso), clientIp: "127.0.0.1", size: 0, via: "rest" },
      timeZone: "Europe/Paris",
    });
  await withPool({ size: 1, deadlineMs: 2000 }, async (pool) => {
    // 08:30 UTC is 09:30 in Paris in January; 16:30 UTC is 17:30.
    assert.deepEqual(await pool.evaluate(hours, at("2025-01-06T08:30:00Z")), { allow: true });
    assert.deepEqual(await pool.evaluate(hours, at("2025-01-06T16:30:00Z")), {
      allow: false,
      cause: "denied",
      reason: "outside business hours",
    });
  });
});
