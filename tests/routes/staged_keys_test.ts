/**
 * Attack: an insider with the Operator role creates a dual-control key (staged, waiting
 * for a second approver) and tries to use it without approval, e.g. by revoking it
 * (revoked keys keep their consuming half). A key that never became active stays
 * unusable for every operation and its public key is not served.
 */

import assert from "node:assert/strict";
import { makeTestApp } from "./_app.ts";

const B64 = btoa("staged");

Deno.test("a staged key cannot be revoked into a usable state", async () => {
  const t = await makeTestApp();
  try {
    const op = await t.inst.token("mallory", ["Operator"]);
    const call = (method: string, path: string, body?: unknown) => t.call(op, method, path, body);
    for (const algorithm of ["AES-256-GCM", "EC-P256", "ML-KEM-768", "HMAC-SHA256"]) {
      const created = await call("POST", "/api/v1/keys", {
        name: `staged-${algorithm}`,
        algorithm,
        dual_control: true,
      });
      assert.equal(created.status, 202);
      const id = created.body.key.id;
      const revoke = await call("POST", `/api/v1/keys/${id}/revoke`);
      assert.equal(revoke.status, 409, `revoke of a staged ${algorithm} key`);
      assert.equal(revoke.body.error.code, "invalid_state");
      assert.equal((await call("GET", `/api/v1/keys/${id}`)).body.state, "staged");
      const attempts: [string, unknown][] = [
        ["decrypt", { ciphertext: "fhsm:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }],
        ["verify", { message: B64, signature: B64 }],
        ["mac/verify", { message: B64, mac: B64 }],
        ["decapsulate", { ciphertext: B64 }],
      ];
      for (const [op, body] of attempts) {
        const r = await call("POST", `/api/v1/keys/${id}/${op}`, body);
        assert.ok(
          r.status === 409 || r.status === 400,
          `${op} on staged ${algorithm}: ${r.status}`,
        );
        if (r.status === 409) assert.equal(r.body.error.code, "invalid_state");
      }
      const pub = await call("GET", `/api/v1/keys/${id}/public`);
      assert.notEqual(pub.status, 200, `public key of a staged ${algorithm} key`);
    }
  } finally {
    await t.close();
  }
});

Deno.test("a staged key's public key is refused as invalid_state", async () => {
  const t = await makeTestApp();
  try {
    const op = await t.inst.token("mallory", ["Operator"]);
    const created = await t.call(op, "POST", "/api/v1/keys", {
      name: "pub",
      algorithm: "EC-P256",
      dual_control: true,
    });
    const pub = await t.call(op, "GET", `/api/v1/keys/${created.body.key.id}/public`);
    assert.equal(pub.status, 409);
    assert.equal(pub.body.error.code, "invalid_state");
  } finally {
    await t.close();
  }
});
