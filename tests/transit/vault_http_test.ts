import assert from "node:assert/strict";
import { HSM_ERROR_CODES, HsmError } from "../../src/domain/errors.ts";
import {
  vaultBody,
  vaultError,
  vaultErrorFromBody,
  vaultStatus,
} from "../../src/transit/vault_http.ts";

Deno.test("every FerroHSM error code has the status Vault clients expect", () => {
  const expected = {
    invalid_request: 400,
    unauthenticated: 403,
    forbidden: 403,
    policy_denied: 403,
    not_found: 404,
    conflict: 400,
    invalid_state: 400,
    payload_too_large: 413,
    integrity_error: 500,
    rate_limited: 429,
    audit_unavailable: 503,
    unavailable: 503,
    internal: 500,
  };
  assert.deepEqual(Object.fromEntries(HSM_ERROR_CODES.map((c) => [c, vaultStatus(c)])), expected);
});

Deno.test("credential failures all read permission denied; internals never leak", () => {
  assert.deepEqual(vaultError(new HsmError("unauthenticated", "Token expired")), {
    status: 403,
    errors: ["permission denied"],
  });
  assert.deepEqual(vaultError(new HsmError("forbidden", "Cannot perform key:create")).errors, [
    "permission denied: Cannot perform key:create",
  ]);
  assert.deepEqual(vaultError(new HsmError("policy_denied", "Denied by policy p: closed")), {
    status: 403,
    errors: ["permission denied: Denied by policy p: closed"],
  });
  assert.deepEqual(vaultError(new Error("database at /secret/path")), {
    status: 500,
    errors: ["internal error"],
  });
  assert.deepEqual(vaultError(new HsmError("internal", "detail")).errors, ["internal error"]);
});

Deno.test("the envelope carries the request id and null warnings when there are none", () => {
  const body = vaultBody("req-1", { a: 1 });
  assert.deepEqual(body, {
    request_id: "req-1",
    lease_id: "",
    renewable: false,
    lease_duration: 0,
    data: { a: 1 },
    wrap_info: null,
    warnings: null,
    auth: null,
  });
  assert.deepEqual(vaultBody("r", null, ["w"]).warnings, ["w"]);
});

Deno.test("FerroHSM error bodies translate; anything else does not", () => {
  assert.deepEqual(
    vaultErrorFromBody({ error: { code: "rate_limited", message: "Too many requests" } }),
    { status: 429, errors: ["Too many requests"] },
  );
  for (const other of [{ errors: ["x"] }, null, { error: { code: "__proto__", message: "" } }]) {
    assert.equal(vaultErrorFromBody(other), undefined);
  }
});
