/**
 * Cost of policy evaluation per request: one small policy run in the sandbox pool (a
 * round trip to a permission-less child, QuickJS call included), the no-policy paths
 * (no policy at all; policies that do not apply), and building the context.
 * Target (issue 11): one small policy adds at most 250 µs at p50; no policy adds nothing.
 * Run: `deno bench --allow-read --allow-run --allow-env bench/policy_bench.ts`.
 */

import { buildPolicyContext, type PolicyContextInput } from "../src/policy/policy_context.ts";
import { createPolicyRecord, PolicyEngine } from "../src/policy/policy_engine.ts";
import { SandboxPool } from "../src/policy/sandbox_pool.ts";

const input: PolicyContextInput = {
  actor: { sub: "svc-payments", roles: ["Service"] },
  action: "sign",
  key: { id: "k1", algorithm: "EC-P256", tags: { team: "payments" }, state: "active", version: 3 },
  request: { time: new Date("2025-01-06T10:00:00Z"), clientIp: "127.0.0.1", size: 64, via: "rest" },
  timeZone: "Europe/Paris",
};
const ctx = buildPolicyContext(input);
const hours = createPolicyRecord({
  id: "business-hours",
  name: "business hours",
  version: 1,
  scope: { key_tags: { team: "payments" } },
  script: `export default (ctx) =>
    (ctx.weekday >= 1 && ctx.weekday <= 5 && ctx.hour >= 9 && ctx.hour < 17) ||
    { deny: "outside business hours" };`,
});

const empty = new PolicyEngine(new SandboxPool());
const pool = new SandboxPool();
const engine = new PolicyEngine(pool);
engine.put(hours);
const elsewhere = new PolicyEngine(pool);
elsewhere.put(createPolicyRecord({ ...hours, id: "other", scope: { key_ids: ["k2"] } }));
await pool.start();
await engine.evaluate(ctx); // compiled in the child that answered

Deno.bench("no policy at all (engine empty)", { group: "policy", baseline: true }, async () => {
  await empty.evaluate(ctx);
});

Deno.bench("no policy applies (select only)", { group: "policy" }, () => {
  elsewhere.select({
    action: "sign",
    roles: ["Service"],
    keyId: "k1",
    keyTags: { team: "payments" },
  });
});

Deno.bench(
  "one small policy: business hours (sandbox round trip)",
  { group: "policy" },
  async () => {
    await engine.evaluate(ctx);
  },
);

Deno.bench("buildPolicyContext (Europe/Paris)", { group: "context" }, () => {
  buildPolicyContext(input);
});
