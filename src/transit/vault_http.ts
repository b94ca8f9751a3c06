/**
 * Vault's HTTP envelope: successful answers wrap their data as Vault's logical responses
 * do (`request_id`, `lease_*`, `data`, `warnings`, ...), errors answer
 * `{"errors": ["..."]}` with the status Vault clients expect for the condition. The
 * mapping from FerroHSM's error codes lives here, in one table.
 *
 * Caveats: like Vault, every credential failure is a 403 `permission denied` (not 401),
 * so a client cannot tell a missing token from a wrong one; internal errors answer a
 * generic message, never the cause.
 */

import { HsmError, type HsmErrorCode } from "../domain/errors.ts";

/** A successful Vault answer's body. */
export interface VaultResponseBody {
  readonly request_id: string;
  readonly lease_id: "";
  readonly renewable: false;
  readonly lease_duration: 0;
  readonly data: unknown;
  readonly wrap_info: null;
  readonly warnings: readonly string[] | null;
  readonly auth: null;
}

/** Wraps `data` in Vault's response envelope. */
export function vaultBody(
  requestId: string,
  data: unknown,
  warnings: readonly string[] = [],
): VaultResponseBody {
  return {
    request_id: requestId,
    lease_id: "",
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: warnings.length === 0 ? null : warnings,
    auth: null,
  };
}

/** Vault's status for each FerroHSM error code. */
const STATUS: Readonly<Record<HsmErrorCode, number>> = Object.freeze({
  invalid_request: 400,
  unauthenticated: 403,
  forbidden: 403,
  // A policy script's refusal is a permission refusal to a Vault client.
  policy_denied: 403,
  not_found: 404,
  // Vault has no 409 in Transit: a key in the wrong state is a user error.
  conflict: 400,
  invalid_state: 400,
  payload_too_large: 413,
  integrity_error: 500,
  rate_limited: 429,
  audit_unavailable: 503,
  unavailable: 503,
  internal: 500,
});

/** The Vault status of an error code. */
export function vaultStatus(code: HsmErrorCode): number {
  return STATUS[code];
}

/** An error as Vault answers it: the status and the `errors` list. */
export interface VaultError {
  readonly status: number;
  readonly errors: readonly string[];
}

/** Renders any thrown value as a Vault error. */
export function vaultError(err: unknown): VaultError {
  const e = err instanceof HsmError ? err : new HsmError("internal", "Internal error");
  return { status: vaultStatus(e.code), errors: [vaultMessage(e)] };
}

/** The message of a Vault error answer for `e` (credential failures all read the same). */
export function vaultMessage(e: HsmError): string {
  switch (e.code) {
    case "unauthenticated":
      return "permission denied";
    case "forbidden":
    case "policy_denied":
      return `permission denied: ${e.message}`;
    case "internal":
      return "internal error";
    default:
      return e.message;
  }
}

/**
 * Translates a FerroHSM error body (`{"error": {"code", "message"}}`, as the shared
 * limit middleware answers) into a Vault error; undefined for anything else.
 */
export function vaultErrorFromBody(body: unknown): VaultError | undefined {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof error?.code !== "string" || typeof error.message !== "string") return undefined;
  if (!Object.hasOwn(STATUS, error.code)) return undefined;
  return vaultError(new HsmError(error.code as HsmErrorCode, error.message));
}
