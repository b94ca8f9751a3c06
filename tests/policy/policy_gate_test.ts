/**
 * The Guard's gate over the real engine: which audit actions policies cover, and that
 * a request no policy applies to costs no child, no message and no context.
 */

import assert from "node:assert/strict";
import type { Actor } from "../../src/access/guard.ts";
import { EnginePolicyGate, POLICY_ACTION_OF } from "../../src/policy/policy_gate.ts";
import { createPolicyRecord, PolicyEngine } from "../../src/policy/policy_engine.ts";
import { POLICY_ACTIONS } from "../../src/policy/policy_types.ts";
import { withPool } from "./_sandbox.ts";

const actor: Actor = {
  id: "svc",
  roles: ["Service"],
  facts: { time: new Date("2025-01-06T09:30:00Z"), clientIp: "10.0.0.7", size: 12, via: "rest" },
};
const key = {
  id: "k1",
  algorithm: "EC-P256",
  tags: {},
  state: "active",
  currentVersion: 1,
} as const;

Deno.test("every policy action is reachable from some guarded audit action", () => {
  const mapped = new Set([...POLICY_ACTION_OF.values()].flat());
  assert.deepEqual(POLICY_ACTIONS.filter((a) => !mapped.has(a)), []);
});

Deno.test("no policy, or none applying, covers nothing and spawns nothing", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const engine = new PolicyEngine(pool);
    const gate = new EnginePolicyGate(engine);
    assert.equal(gate.covers("key.sign"), false, "no policy held");
    engine.put(createPolicyRecord({
      id: "other",
      name: "other key",
      script: "export default () => false",
      version: 1,
      scope: { key_ids: ["k2"] },
    }));
    assert.equal(gate.covers("key.sign"), true);
    assert.equal(gate.covers("approval.approve"), false, "not a key operation");
    assert.equal(await gate.decide({ actor, action: "key.sign", key }), undefined);
    assert.deepEqual(pool.stats, { spawned: 0, messages: 0, killed: 0, crashed: 0 });
  });
});

Deno.test("a deny names the policy, its digest, the cause and the reason", async () => {
  await withPool({ size: 1, deadlineMs: 2000 }, async (pool) => {
    const engine = new PolicyEngine(pool);
    const outcomes: string[] = [];
    const gate = new EnginePolicyGate(engine, {
      timeZone: "Europe/Paris",
      onDecision: (o) => outcomes.push(o),
    });
    const record = createPolicyRecord({
      id: "hours",
      name: "office hours",
      script:
        "export default (ctx) => ctx.request.client_ip === '10.0.0.7' ? { deny: 'at ' + ctx.hour } : true",
      version: 1,
      scope: {},
    });
    engine.put(record);
    assert.deepEqual(await gate.decide({ actor, action: "key.sign", key }), {
      policyId: "hours",
      policyName: "office hours",
      digest: record.digest,
      cause: "denied",
      reason: "at 10",
    });
    assert.deepEqual(outcomes, ["denied"]);
  });
});
