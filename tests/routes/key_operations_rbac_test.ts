/**
 * RBAC of every key-operation endpoint under the default matrix: which of Administrator,
 * Operator, Service and Auditor pass authorization (any answer but 403) and which are
 * refused (403 forbidden), each refusal audited.
 */

import assert from "node:assert/strict";
import { makeTestApp } from "./_app.ts";
import { fixedWrappingKeys } from "./_key_ops.ts";

const ROLES = ["Administrator", "Operator", "Service", "Auditor"] as const;
type Role = typeof ROLES[number];

Deno.test("each key-operation endpoint admits exactly the roles the default matrix grants", async () => {
  const t = await makeTestApp(["--key-store", "memory"], { wrappingKeys: fixedWrappingKeys() });
  try {
    const admin = await t.inst.token("admin", ["Administrator"]);
    const aes =
      (await t.call(admin, "POST", "/api/v1/keys", { name: "a", algorithm: "AES-256-GCM" }))
        .body.id;
    const ec = (await t.call(admin, "POST", "/api/v1/keys", { name: "e", algorithm: "EC-P256" }))
      .body.id;
    const ct = (await t.call(admin, "POST", `/api/v1/keys/${aes}/encrypt`, { plaintext: "AA==" }))
      .body.ciphertext;
    const use: Role[] = ["Administrator", "Operator", "Service"];
    const manage: Role[] = ["Administrator", "Operator"];
    const cases: [string, string, unknown, Role[]][] = [
      ["POST", "/api/v1/keys/import-params", { algorithm: "AES-256-GCM" }, manage],
      ["POST", "/api/v1/keys/import", {
        name: "i",
        algorithm: "AES-256-GCM",
        import_token: "unknown",
        wrapped_key: "AAAA",
      }, manage],
      ["PATCH", `/api/v1/keys/${aes}`, { tags: { a: "b" } }, manage],
      ["PATCH", `/api/v1/keys/${aes}`, { min_decryption_version: 1 }, manage],
      ["POST", `/api/v1/keys/${aes}/datakey`, {}, use],
      ["POST", `/api/v1/keys/${aes}/rewrap`, { ciphertext: ct }, use],
      ["POST", `/api/v1/keys/${aes}/encrypt/batch`, { items: [{ plaintext: "AA==" }] }, use],
      ["POST", `/api/v1/keys/${aes}/decrypt/batch`, { items: [{ ciphertext: ct }] }, use],
      ["POST", `/api/v1/keys/${ec}/sign/batch`, { items: [{ message: "AA==" }] }, use],
      ["POST", `/api/v1/keys/${ec}/sign-jwt`, { claims: { sub: "x" } }, use],
      ["GET", `/api/v1/keys/${ec}/jwks`, undefined, [...ROLES]],
    ];
    const tokens = new Map<Role, string>();
    for (const role of ROLES) tokens.set(role, await t.inst.token(`as-${role}`, [role]));
    for (const [method, path, body, allowed] of cases) {
      for (const role of ROLES) {
        const r = await t.call(tokens.get(role) as string, method, path, body);
        const label = `${role} ${method} ${path}: ${r.status} ${
          JSON.stringify(r.body).slice(0, 120)
        }`;
        if (allowed.includes(role)) {
          assert.notEqual(r.status, 403, label);
          assert.ok(r.status < 500, label);
        } else {
          assert.equal(r.status, 403, label);
          assert.equal(r.body.error.code, "forbidden", label);
        }
      }
    }
    const auditor = tokens.get("Auditor") as string;
    const audit = await t.call(auditor, "GET", "/api/v1/audit?limit=1000");
    const refusals = audit.body.items.filter((e: { result: string }) => e.result === "forbidden");
    const expected = cases.reduce((n, [, , , allowed]) => n + ROLES.length - allowed.length, 0);
    assert.equal(refusals.length, expected, "every refusal is audited");
  } finally {
    await t.close();
  }
});
