/**
 * The Guard's policy hook with a scripted gate (no sandbox): covered operations must
 * call `admit`, a deny answers `policy_denied` and the audit result names the policy,
 * its digest and a failure's cause, and uncovered operations never reach the gate.
 */

import assert from "node:assert/strict";
import {
  type Actor,
  type AuditEvent,
  Guard,
  type PolicyDenial,
  type PolicyGate,
  type PolicyKeyFacts,
} from "../../src/access/guard.ts";
import { RbacPolicy } from "../../src/access/rbac.ts";
import { HsmError, isHsmError } from "../../src/domain/errors.ts";

const admin: Actor = { id: "alice", roles: ["Administrator"] };
const key: PolicyKeyFacts = {
  id: "k1",
  algorithm: "EC-P256",
  tags: { env: "prod" },
  state: "active",
  currentVersion: 3,
};
const DIGEST = "ab".repeat(32);

function setup(covered: boolean, denial?: PolicyDenial) {
  const events: AuditEvent[] = [];
  const asked: { action: string; key?: PolicyKeyFacts | undefined; version?: number }[] = [];
  const gate: PolicyGate = {
    covers: () => covered,
    decide(request) {
      asked.push({
        action: request.action,
        key: request.key,
        ...(request.version === undefined ? {} : { version: request.version }),
      });
      return Promise.resolve(denial);
    },
  };
  const audit = {
    append(event: AuditEvent) {
      events.push(event);
      return Promise.resolve({ seq: events.length });
    },
  };
  return { guard: new Guard(audit, RbacPolicy.default(), { policies: gate }), events, asked };
}

Deno.test("an allowed covered operation is audited ok and the gate saw the key and version", async () => {
  const { guard, events, asked } = setup(true);
  const value = await guard.run({ actor: admin, action: "key.sign", keyId: "k1" }, async (op) => {
    op.authorize("key:use:ec");
    await op.admit(key, 2);
    return 42;
  });
  assert.equal(value, 42);
  assert.deepEqual(asked, [{ action: "key.sign", key, version: 2 }]);
  assert.equal(events[0]?.result, "ok");
});

Deno.test("a deny is policy_denied with the reason, and the audit result names policy and digest", async () => {
  const denial = {
    policyId: "p1",
    policyName: "office hours",
    digest: DIGEST,
    cause: "denied",
    reason: "closed",
  };
  const { guard, events } = setup(true, denial);
  let reached = false;
  await assert.rejects(
    guard.run({ actor: admin, action: "key.sign", keyId: "k1" }, async (op) => {
      await op.admit(key);
      reached = true;
    }),
    (err: unknown) => isHsmError(err, "policy_denied") && /closed/.test(err.message),
  );
  assert.equal(reached, false);
  assert.equal(events[0]?.result, `policy_denied:p1:${DIGEST.slice(0, 16)}`);
});

Deno.test("a script failure is audited with its cause", async () => {
  const denial = {
    policyId: "p2",
    policyName: "slow",
    digest: DIGEST,
    cause: "timeout",
    reason: "Policy failed: it ran past its deadline",
  };
  const { guard, events } = setup(true, denial);
  await assert.rejects(
    guard.run({ actor: admin, action: "key.decrypt" }, (op) => op.admit(key)),
    (err: unknown) => isHsmError(err, "policy_denied"),
  );
  assert.equal(events[0]?.result, `policy_denied:p2:${DIGEST.slice(0, 16)}:timeout`);
});

Deno.test("a covered operation that skips admit fails closed, at its commit point or its end", async () => {
  const { guard, events } = setup(true);
  await assert.rejects(
    guard.run({ actor: admin, action: "key.rotate" }, async (op) => {
      await op.commitPoint();
    }),
    TypeError,
  );
  await assert.rejects(
    guard.run({ actor: admin, action: "key.read" }, () => Promise.resolve("leaked")),
    TypeError,
  );
  assert.deepEqual(events.map((e) => e.result), ["internal", "internal"]);
});

Deno.test("without covered policies admit asks nothing and is not required", async () => {
  const { guard, asked, events } = setup(false);
  await guard.run({ actor: admin, action: "key.sign" }, async (op) => {
    await op.admit(key);
  });
  await guard.run({ actor: admin, action: "key.read" }, () => Promise.resolve(1));
  assert.deepEqual(asked, []);
  assert.deepEqual(events.map((e) => e.result), ["ok", "ok"]);
});

Deno.test("admit decides once per operation", async () => {
  const { guard, asked } = setup(true);
  await guard.run({ actor: admin, action: "key.sign" }, async (op) => {
    await op.admit(key);
    await op.admit(key);
  });
  assert.equal(asked.length, 1);
});

Deno.test("an error thrown before admit keeps its own code", async () => {
  const { guard, events } = setup(true);
  await assert.rejects(
    guard.run({ actor: admin, action: "key.sign" }, () => {
      throw new HsmError("not_found", "Key k9 not found");
    }),
    (err: unknown) => isHsmError(err, "not_found"),
  );
  assert.equal(events[0]?.result, "not_found");
});
