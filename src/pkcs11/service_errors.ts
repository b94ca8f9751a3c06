/**
 * How FerroHSM service failures are answered over PKCS#11: one table from the stable
 * HsmError code (never the message) and the operation to a CKR value. Refusals by RBAC,
 * policy or the rate limit are CKR_FUNCTION_FAILED; anything unexpected is
 * CKR_GENERAL_ERROR.
 */

import { HsmError } from "../domain/errors.ts";
import { CKR } from "./constants.ts";
import { Pkcs11Error } from "./token_backend.ts";

/** What the backend was doing when a service failed. */
export type Operation =
  | "list"
  | "public"
  | "sign"
  | "verify"
  | "encrypt"
  | "decrypt"
  | "create"
  | "destroy";

const KEY_OPERATIONS: ReadonlySet<Operation> = new Set(["sign", "verify", "encrypt", "decrypt"]);

function rvFor(code: string, op: Operation): number {
  switch (code) {
    case "unauthenticated":
      return CKR.USER_NOT_LOGGED_IN;
    case "forbidden":
    case "policy_denied":
    case "rate_limited":
      return CKR.FUNCTION_FAILED;
    case "not_found":
      return KEY_OPERATIONS.has(op) ? CKR.KEY_HANDLE_INVALID : CKR.OBJECT_HANDLE_INVALID;
    case "invalid_state": // revoked, staged or destroyed
      return op === "destroy"
        ? CKR.ACTION_PROHIBITED
        : op === "public"
        ? CKR.OBJECT_HANDLE_INVALID
        : CKR.KEY_FUNCTION_NOT_PERMITTED;
    case "conflict":
      return op === "destroy" ? CKR.FUNCTION_REJECTED : CKR.FUNCTION_FAILED;
    case "payload_too_large":
      return CKR.DATA_LEN_RANGE;
    case "invalid_request":
      if (op === "encrypt") return CKR.DATA_LEN_RANGE;
      if (op === "decrypt") return CKR.ENCRYPTED_DATA_INVALID;
      if (op === "create") return CKR.TEMPLATE_INCONSISTENT;
      return op === "sign" || op === "verify" ? CKR.DATA_INVALID : CKR.ARGUMENTS_BAD;
    case "audit_unavailable":
    case "integrity_error":
    case "unavailable":
      return CKR.DEVICE_ERROR;
    default:
      return CKR.GENERAL_ERROR;
  }
}

/** Maps a service failure to the CKR answered for `op`. */
export function toPkcs11Error(err: unknown, op: Operation): Pkcs11Error {
  if (err instanceof Pkcs11Error) return err;
  if (!(err instanceof HsmError)) return new Pkcs11Error(CKR.GENERAL_ERROR);
  return new Pkcs11Error(rvFor(err.code, op), undefined, err.code);
}
