import assert from "node:assert/strict";
import { HsmError } from "../../src/domain/errors.ts";
import { CKR } from "../../src/pkcs11/constants.ts";
import { toPkcs11Error } from "../../src/pkcs11/service_errors.ts";
import { Pkcs11Error } from "../../src/pkcs11/token_backend.ts";

Deno.test("service failures map to CKR values by error code", () => {
  const cases: [string, string, number][] = [
    ["forbidden", "sign", CKR.FUNCTION_FAILED],
    ["not_found", "sign", CKR.KEY_HANDLE_INVALID],
    ["not_found", "destroy", CKR.OBJECT_HANDLE_INVALID],
    ["invalid_state", "sign", CKR.KEY_FUNCTION_NOT_PERMITTED],
    ["conflict", "destroy", CKR.FUNCTION_REJECTED],
    ["invalid_request", "decrypt", CKR.ENCRYPTED_DATA_INVALID],
    ["invalid_request", "encrypt", CKR.DATA_LEN_RANGE],
    ["invalid_request", "create", CKR.TEMPLATE_INCONSISTENT],
    ["audit_unavailable", "sign", CKR.DEVICE_ERROR],
    ["unauthenticated", "list", CKR.USER_NOT_LOGGED_IN],
    ["internal", "list", CKR.GENERAL_ERROR],
  ];
  for (const [code, op, rv] of cases) {
    const err = new HsmError(code as never, "x");
    assert.equal(toPkcs11Error(err, op as never).rv, rv, `${code} during ${op}`);
  }
  assert.equal(toPkcs11Error(new TypeError("bug"), "sign").rv, CKR.GENERAL_ERROR);
  const passed = new Pkcs11Error(CKR.PIN_INCORRECT);
  assert.equal(toPkcs11Error(passed, "list"), passed);
});
