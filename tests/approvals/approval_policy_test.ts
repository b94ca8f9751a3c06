/**
 * The dual-control policy file: destruction and activation always need approval,
 * listed actions get their quorum, invalid documents are refused with a clear message.
 */

import assert from "node:assert/strict";
import { ApprovalPolicy, parseApprovalPolicy } from "../../src/approvals/approval_policy.ts";

Deno.test("the default policy holds destruction and activation, quorum 1, 24 h", () => {
  const p = new ApprovalPolicy();
  assert.equal(p.requires("key.destroy"), true);
  assert.equal(p.requires("key.activate"), true);
  assert.equal(p.requires("key.rotate"), false);
  assert.equal(p.quorum("key.destroy"), 1);
  assert.equal(p.ttlMs, 24 * 3600 * 1000);
});

Deno.test("a policy file adds actions and quorums", () => {
  const p = parseApprovalPolicy(
    JSON.stringify({ ttl_seconds: 60, actions: { "key.rollback": { quorum: 3 } } }),
  );
  assert.equal(p.requires("key.rollback"), true);
  assert.equal(p.quorum("key.rollback"), 3);
  assert.equal(p.ttlMs, 60_000);
});

Deno.test("invalid policy documents are refused naming the problem", () => {
  for (
    const text of [
      "{",
      JSON.stringify({ actions: { "key.explode": { quorum: 1 } } }),
      JSON.stringify({ actions: { "key.rotate": { quorum: 0 } } }),
      JSON.stringify({ ttl_seconds: -1 }),
      JSON.stringify({ extra: true }),
    ]
  ) {
    assert.throws(() => parseApprovalPolicy(text, "p.json"), /Invalid approval policy p\.json/);
  }
});
