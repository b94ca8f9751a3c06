import assert from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../../src/core/encoding.ts";
import {
  createPolicyRecord,
  policyDigest,
  PolicyEngine,
  type PolicyInput,
  type PolicySubject,
} from "../../src/policy/policy_engine.ts";
import {
  MAX_SCRIPT_BYTES,
  parsePolicyScope,
  POLICY_ALLOW,
  type PolicyScope,
} from "../../src/policy/policy_types.ts";
import { SandboxPool } from "../../src/policy/sandbox_pool.ts";
import { CTX, withPool } from "./_sandbox.ts";

function policy(id: string, scope: PolicyScope, source = "export default () => true") {
  return createPolicyRecord({ id, name: `policy ${id}`, script: source, version: 1, scope });
}

const subject: PolicySubject = {
  action: "sign",
  roles: ["Service"],
  keyId: "k1",
  keyTags: { team: "payments", env: "prod" },
};

function selectedIds(engine: PolicyEngine, s: PolicySubject): string[] {
  return engine.select(s).map((p) => p.id);
}

Deno.test("scope selection: global, per action, role, key id and key tags", () => {
  const engine = new PolicyEngine(new SandboxPool());
  engine.replaceAll([
    policy("global", {}),
    policy("sign-only", { actions: ["sign", "verify"] }),
    policy("decrypt-only", { actions: ["decrypt"] }),
    policy("service", { roles: ["Service", "Operator"] }),
    policy("admin", { roles: ["Administrator"] }),
    policy("k1", { key_ids: ["k1"] }),
    policy("k2", { key_ids: ["k2"] }),
    policy("payments", { key_tags: { team: "payments" } }),
    policy("payments-dev", { key_tags: { team: "payments", env: "dev" } }),
    policy("both", { actions: ["sign"], roles: ["Administrator"] }),
    policy("empty-lists", { actions: [], roles: [], key_ids: [] }),
  ]);
  assert.deepEqual(selectedIds(engine, subject), [
    "global",
    "sign-only",
    "service",
    "k1",
    "payments",
    "empty-lists",
  ]);
  assert.deepEqual(
    selectedIds(engine, { action: "decrypt", roles: ["Administrator"] }),
    ["global", "decrypt-only", "admin", "empty-lists"],
  );
});

Deno.test("a key-scoped policy never applies to a request without a key", () => {
  const engine = new PolicyEngine(new SandboxPool());
  engine.replaceAll([policy("k1", { key_ids: ["k1"] }), policy("tags", { key_tags: { a: "b" } })]);
  assert.deepEqual(selectedIds(engine, { action: "create", roles: ["Operator"] }), []);
});

Deno.test("a key_tags pair never matches through the prototype", () => {
  const engine = new PolicyEngine(new SandboxPool());
  engine.put(policy("proto", parsePolicyScope(JSON.parse('{"key_tags":{"toString":"x"}}'))));
  assert.deepEqual(selectedIds(engine, { ...subject, keyTags: {} }), []);
  assert.deepEqual(selectedIds(engine, { ...subject, keyTags: { toString: "x" } }), ["proto"]);
});

Deno.test("requests no policy applies to do no work: no spawn, no message, shared answers", async () => {
  const pool = new SandboxPool();
  const empty = new PolicyEngine(pool);
  assert.equal(empty.select(subject), empty.select({ action: "read", roles: [] }));
  assert.equal(await empty.evaluate(CTX), POLICY_ALLOW);
  const elsewhere = new PolicyEngine(pool);
  elsewhere.put(policy("other-key", { key_ids: ["k2"] }));
  elsewhere.put(policy("other-action", { actions: ["destroy"] }));
  assert.equal(elsewhere.select(subject), empty.select(subject));
  assert.equal(await elsewhere.evaluate(CTX), POLICY_ALLOW);
  assert.deepEqual(pool.stats, { spawned: 0, messages: 0, killed: 0, crashed: 0 });
});

Deno.test("every applicable policy must allow; the first deny names its policy and digest", async () => {
  await withPool({ size: 1, deadlineMs: 2000 }, async (pool) => {
    const engine = new PolicyEngine(pool);
    const allow = policy("a", {});
    const deny = policy(
      "b",
      { roles: ["Service"] },
      "export default () => ({ deny: 'no service' })",
    );
    const never = policy("c", {}, "export default () => { throw new Error('not reached'); }");
    engine.replaceAll([allow, deny, never]);
    assert.deepEqual(await engine.evaluate(CTX), {
      allow: false,
      policy: { id: "b", name: "policy b", digest: deny.digest },
      cause: "denied",
      reason: "no service",
    });
    assert.equal(pool.stats.messages, 2);
    engine.remove("b");
    const failed = await engine.evaluate(CTX);
    assert.equal(!failed.allow && failed.cause, "threw");
    assert.equal(!failed.allow && failed.policy.id, "c");
    assert.equal(!failed.allow && failed.detail, "Error: not reached");
    engine.remove("c");
    assert.equal(await engine.evaluate(CTX), POLICY_ALLOW);
  });
});

Deno.test("a record's digest is the SHA-256 of its script", () => {
  const source = "export default () => true";
  const record = policy("p", {}, source);
  assert.equal(record.digest, toHex(sha256(new TextEncoder().encode(source))));
  assert.equal(policyDigest(source), record.digest);
  assert.ok(Object.isFrozen(record));
});

Deno.test("records are refused for an empty or oversized script, a missing name or a bad version", () => {
  const base: PolicyInput = {
    id: "p",
    name: "n",
    script: "export default () => true",
    version: 1,
    scope: {},
  };
  const bad: PolicyInput[] = [
    { ...base, script: "" },
    { ...base, script: `export default () => true; //${"x".repeat(MAX_SCRIPT_BYTES)}` },
    { ...base, name: "" },
    { ...base, version: 0 },
  ];
  for (const input of bad) {
    assert.throws(() => createPolicyRecord(input), { code: "invalid_request" });
  }
});

Deno.test("the engine refuses a record whose digest does not match, or a repeated id", () => {
  const engine = new PolicyEngine(new SandboxPool());
  const record = policy("p", {});
  assert.throws(() => engine.put({ ...record, script: "export default () => false" }), TypeError);
  assert.throws(() => engine.replaceAll([record, record]), TypeError);
  engine.put(record);
  engine.put({ ...policy("p", { roles: ["Operator"] }) });
  assert.equal(engine.size, 1);
  assert.deepEqual(engine.get("p")?.scope, { roles: ["Operator"] });
  assert.equal(engine.remove("p"), true);
  assert.equal(engine.remove("p"), false);
});

Deno.test("validation accepts a module whose default export is a function, and names what is wrong otherwise", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const engine = new PolicyEngine(pool);
    await engine.validate("export default (ctx) => ctx.hour < 17");
    for (
      const source of [
        "export default (ctx) => {",
        "export default 42",
        "export const allow = () => true",
        "throw new Error('top level')",
        "for (;;) {} export default () => true",
        "await 1; export default () => true",
      ]
    ) {
      await assert.rejects(engine.validate(source), { code: "invalid_request" }, source);
    }
    await assert.rejects(engine.validate("x".repeat(MAX_SCRIPT_BYTES + 1)), {
      code: "invalid_request",
    });
  });
});

Deno.test("validation is unavailable, not invalid, when no sandbox can start", async () => {
  const missing = new URL("./no_such_child.ts", import.meta.url);
  await withPool({ size: 1, childUrl: missing }, async (pool) => {
    await assert.rejects(new PolicyEngine(pool).validate("export default () => true"), {
      code: "unavailable",
    });
  });
});

Deno.test("a dry run evaluates a script that is not stored", async () => {
  await withPool({ size: 1, deadlineMs: 2000 }, async (pool) => {
    const engine = new PolicyEngine(pool);
    const outcome = await engine.dryRun(
      "export default (ctx) => ctx.actor.sub === 'svc-payments'",
      CTX,
    );
    assert.deepEqual(outcome, { allow: true });
    assert.equal(engine.size, 0);
  });
});

Deno.test("a scope from the API is checked", () => {
  assert.deepEqual(parsePolicyScope({ actions: ["sign"], key_tags: { team: "x" } }), {
    actions: ["sign"],
    key_tags: { team: "x" },
  });
  for (
    const bad of [{ actions: ["fly"] }, { roles: [""] }, { key_ids: "k1" }, { extra: 1 }, null]
  ) {
    assert.throws(() => parsePolicyScope(bad), { code: "invalid_request" });
  }
});
