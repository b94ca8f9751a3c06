import assert from "node:assert/strict";
import { isHsmError } from "../../src/domain/errors.ts";
import {
  type Action,
  ACTIONS,
  DEFAULT_RBAC_MATRIX,
  loadRbacPolicy,
  parseRbacPolicy,
  RbacPolicy,
  type Role,
  ROLES,
} from "../../src/access/rbac.ts";

const KEY_USE: Action[] = ACTIONS.filter((a) => a.startsWith("key:use:"));

/** The default matrix written out in full: what each role may do, and nothing else. */
const EXPECTED: Record<Role, readonly Action[]> = {
  Administrator: ACTIONS,
  Operator: [
    "key:create",
    "key:read",
    "key:rotate",
    "key:rollback",
    "key:revoke",
    "key:destroy",
    "key:import",
    "key:update",
    "key:update:min-version",
    ...KEY_USE,
    "approval:read",
  ],
  Service: ["key:read", ...KEY_USE],
  Auditor: ["key:read", "audit:read", "approval:read", "policy:read", "retention:read"],
};

const policy = RbacPolicy.default();

for (const role of ROLES) {
  for (const action of ACTIONS) {
    const expected = EXPECTED[role].includes(action);
    Deno.test(`default policy ${expected ? "allows" : "denies"} ${role} ${action}`, () => {
      assert.equal(policy.allows([role], action), expected);
    });
  }
}

Deno.test("one key:use action per algorithm family exists and the wildcard covers all", () => {
  assert.equal(KEY_USE.length, 10);
  const p = new RbacPolicy({ Service: ["key:use:*"] });
  for (const action of KEY_USE) assert.equal(p.allows(["Service"], action), true);
  assert.equal(p.allows(["Service"], "key:read"), false);
});

Deno.test("auditors never get key:use and only administrators decide approvals", () => {
  for (const action of KEY_USE) assert.equal(policy.allows(["Auditor"], action), false);
  for (const role of ROLES) {
    assert.equal(policy.allows([role], "approval:decide"), role === "Administrator");
    assert.equal(policy.allows([role], "policy:update"), role === "Administrator");
  }
});

Deno.test("several roles grant the union of their actions", () => {
  assert.equal(policy.allows(["Auditor", "Service"], "audit:read"), true);
  assert.equal(policy.allows(["Auditor", "Service"], "key:use:rsa"), true);
  assert.equal(policy.allows(["Auditor", "Service"], "key:create"), false);
  assert.equal(policy.allows([], "key:read"), false);
  assert.deepEqual(policy.actionsFor(["Service"]), ["key:read", ...KEY_USE]);
});

Deno.test("an action unknown at run time is denied even to administrators", () => {
  assert.equal(policy.allows(["Administrator"], "key:teleport" as Action), false);
  assert.equal(policy.allows(["Intruder" as Role], "key:read"), false);
});

Deno.test("a prefix wildcard expands to every action under it", () => {
  const p = new RbacPolicy({ Operator: ["approval:*"] });
  assert.equal(p.allows(["Operator"], "approval:read"), true);
  assert.equal(p.allows(["Operator"], "approval:decide"), true);
  assert.equal(p.allows(["Operator"], "audit:read"), false);
  assert.equal(p.allows(["Auditor"], "approval:read"), false);
});

Deno.test("config/rbac.json holds exactly the default matrix", async () => {
  const path = new URL("../../config/rbac.json", import.meta.url).pathname;
  const loaded = await loadRbacPolicy(path);
  assert.deepEqual(loaded.matrix, DEFAULT_RBAC_MATRIX);
  for (const role of ROLES) {
    assert.deepEqual(loaded.actionsFor([role]), policy.actionsFor([role]));
  }
});

Deno.test("loading without a path gives the default policy", async () => {
  const loaded = await loadRbacPolicy();
  assert.deepEqual(loaded.matrix, DEFAULT_RBAC_MATRIX);
});

const INVALID: [string, string, RegExp][] = [
  ["unknown role", '{"version":1,"roles":{"Root":["*"]}}', /unknown role "Root"/],
  [
    "unknown action",
    '{"version":1,"roles":{"Operator":["key:teleport"]}}',
    /unknown action "key:teleport" for role Operator/,
  ],
  [
    "wildcard matching nothing",
    '{"version":1,"roles":{"Service":["vault:*"]}}',
    /unknown action "vault:\*"/,
  ],
  ["missing version", '{"roles":{"Service":["key:read"]}}', /version/],
  ["wrong version", '{"version":2,"roles":{}}', /version/],
  ["extra member", '{"version":1,"roles":{},"admins":["x"]}', /admins|Unrecognized/i],
  ["grants not an array", '{"version":1,"roles":{"Service":"key:read"}}', /roles\.Service/],
  ["proto key", '{"version":1,"roles":{"__proto__":["*"]}}', /unknown role "__proto__"/],
  ["not JSON", "{version: 1", /not valid JSON/],
];

for (const [what, text, pattern] of INVALID) {
  Deno.test(`an RBAC file with ${what} is rejected with a clear error`, () => {
    assert.throws(
      () => parseRbacPolicy(text, "test.json"),
      (err: unknown) => {
        assert.ok(isHsmError(err, "invalid_request"));
        assert.match(err.message, /^Invalid RBAC policy test\.json: /);
        assert.match(err.message, pattern);
        return true;
      },
    );
  });
}

Deno.test("a missing RBAC file is a clear startup error", async () => {
  await assert.rejects(
    loadRbacPolicy("/nonexistent/ferrohsm/rbac.json"),
    (err: unknown) => isHsmError(err, "invalid_request") && /file not found/.test(err.message),
  );
});

Deno.test("roles left out of the file are granted nothing", () => {
  const p = parseRbacPolicy('{"version":1,"roles":{"Auditor":["audit:read"]}}');
  assert.equal(p.allows(["Auditor"], "audit:read"), true);
  assert.equal(p.allows(["Administrator"], "key:read"), false);
});
