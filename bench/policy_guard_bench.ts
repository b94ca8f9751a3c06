/**
 * What the policy hook costs a guarded operation (issue 11: requests no policy applies to
 * pay nothing; one small policy adds at most 250 µs at p50): `Guard.run` with `admit`
 * and an in-memory audit sink, without a gate, with a gate holding no policy, with
 * policies that do not apply to the request, and with one small policy that does (a
 * sandbox round trip). The HTTP layer's request facts are built lazily and not at all on
 * the first three paths.
 *
 * `deno bench --allow-read --allow-run --allow-env bench/policy_guard_bench.ts`
 */

import { type Actor, type AuditEvent, Guard, type PolicyKeyFacts } from "../src/access/guard.ts";
import { RbacPolicy } from "../src/access/rbac.ts";
import { EnginePolicyGate } from "../src/policy/policy_gate.ts";
import { createPolicyRecord, PolicyEngine } from "../src/policy/policy_engine.ts";
import { SandboxPool } from "../src/policy/sandbox_pool.ts";

const sink = { append: (_: AuditEvent) => Promise.resolve({ seq: 1 }) };
const rbac = RbacPolicy.default();
const actor: Actor = {
  id: "svc",
  roles: ["Service"],
  facts: { time: new Date("2025-01-06T10:00:00Z"), clientIp: "127.0.0.1", size: 64, via: "rest" },
};
const key: PolicyKeyFacts = {
  id: "k1",
  algorithm: "HMAC-SHA256",
  tags: { team: "payments" },
  state: "active",
  currentVersion: 1,
};
const small = {
  name: "small",
  version: 1,
  script: "export default (ctx) => ctx.request.size < 4096 || { deny: 'too large' }",
};

const pool = new SandboxPool();
const noGate = new Guard(sink, rbac);
const emptyEngine = new PolicyEngine(pool);
const idle = new Guard(sink, rbac, { policies: new EnginePolicyGate(emptyEngine) });
const elsewhereEngine = new PolicyEngine(pool);
elsewhereEngine.put(createPolicyRecord({ ...small, id: "other-key", scope: { key_ids: ["k2"] } }));
elsewhereEngine.put(
  createPolicyRecord({ ...small, id: "destroy", scope: { actions: ["destroy"] } }),
);
const elsewhere = new Guard(sink, rbac, { policies: new EnginePolicyGate(elsewhereEngine) });
const oneEngine = new PolicyEngine(pool);
oneEngine.put(createPolicyRecord({ ...small, id: "one", scope: { key_ids: ["k1"] } }));
const one = new Guard(sink, rbac, { policies: new EnginePolicyGate(oneEngine) });
await pool.start();

function op(guard: Guard): Promise<number> {
  return guard.run({ actor, action: "key.mac", keyId: "k1" }, async (g) => {
    g.authorize("key:use:hmac");
    await g.admit(key);
    return 1;
  });
}
await op(one); // compile once

Deno.bench("guarded op, no policy gate", { group: "hook", baseline: true }, async () => {
  await op(noGate);
});
Deno.bench("guarded op, gate holding no policy", { group: "hook" }, async () => {
  await op(idle);
});
Deno.bench("guarded op, policies that do not apply", { group: "hook" }, async () => {
  await op(elsewhere);
});
Deno.bench("guarded op, one small policy (sandbox round trip)", { group: "hook" }, async () => {
  await op(one);
});

globalThis.addEventListener("unload", () => {
  pool.close();
});
