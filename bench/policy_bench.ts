/**
 * Cost of policy evaluation per request: one small policy run in the sandbox pool (a
 * round trip to a permission-less child, QuickJS call included), the no-policy paths
 * (no policy at all; policies that do not apply), and building the context.
 * Target (issue 11): one small policy adds at most 250 µs at p50; no policy adds nothing.
 *
 * `deno bench --allow-read --allow-run --allow-env bench/policy_bench.ts` for the usual
 * table; `deno run --allow-read --allow-run --allow-env bench/policy_bench.ts` prints
 * p50/p90/p99 of the round trip (deno bench shows p75), back to back and with the
 * processes idle between requests.
 */

import { buildPolicyContext, type PolicyContextInput } from "../src/policy/policy_context.ts";
import { createPolicyRecord, PolicyEngine } from "../src/policy/policy_engine.ts";
import { SandboxPool } from "../src/policy/sandbox_pool.ts";
import { printLine } from "../src/util/logger.ts";

const input: PolicyContextInput = {
  actor: { sub: "svc-payments", roles: ["Service"] },
  action: "sign",
  key: { id: "k1", algorithm: "EC-P256", tags: { team: "payments" }, state: "active", version: 3 },
  request: { time: new Date("2025-01-06T10:00:00Z"), clientIp: "127.0.0.1", size: 64, via: "rest" },
  timeZone: "Europe/Paris",
};
const ctx = buildPolicyContext(input);
const subject = { action: "sign", roles: ["Service"], keyId: "k1", keyTags: { team: "payments" } };
const hours = createPolicyRecord({
  id: "business-hours",
  name: "business hours",
  version: 1,
  scope: { key_tags: { team: "payments" } },
  script: `export default (ctx) =>
    (ctx.weekday >= 1 && ctx.weekday <= 5 && ctx.hour >= 9 && ctx.hour < 17) ||
    { deny: "outside business hours" };`,
});

const pool = new SandboxPool();
const empty = new PolicyEngine(pool);
const engine = new PolicyEngine(pool);
engine.put(hours);
const elsewhere = new PolicyEngine(pool);
elsewhere.put(createPolicyRecord({ ...hours, id: "other-key", scope: { key_ids: ["k2"] } }));
elsewhere.put(
  createPolicyRecord({ ...hours, id: "other-action", scope: { actions: ["destroy"] } }),
);
await pool.start();
const warm = await engine.evaluate(ctx);
if (!warm.allow) throw new Error(`The benchmark policy denied: ${warm.reason}`);

Deno.bench("no policy at all: evaluate() returns the shared answer", { group: "none" }, () => {
  empty.evaluate(ctx);
});

Deno.bench("policies that do not apply: select()", { group: "none" }, () => {
  elsewhere.select(subject as Parameters<PolicyEngine["select"]>[0]);
});

Deno.bench("policies that do not apply: await evaluate()", { group: "none" }, async () => {
  await elsewhere.evaluate(ctx);
});

Deno.bench("one small policy (business hours): sandbox round trip", async () => {
  await engine.evaluate(ctx);
});

Deno.bench("buildPolicyContext (Europe/Paris)", () => {
  buildPolicyContext(input);
});

/** p50/p90/p99 in µs of `count` evaluations, each `gapMs` after the previous one ended. */
async function percentiles(count: number, gapMs: number): Promise<string> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    const started = performance.now();
    await engine.evaluate(ctx);
    samples.push((performance.now() - started) * 1000);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.floor(q * (samples.length - 1))]?.toFixed(0);
  return `p50 ${at(0.5)} µs, p90 ${at(0.9)} µs, p99 ${at(0.99)} µs`;
}

if (import.meta.main) {
  printLine(`one small policy, 5000 back to back: ${await percentiles(5000, 0)}`);
  // Requests that find both processes idle pay the OS wake-ups on both sides of the pipe.
  printLine(`one small policy, 1000 spaced 1 ms apart: ${await percentiles(1000, 1)}`);
  printLine(`pool ${JSON.stringify(pool.stats)}`);
  await pool.close();
}
