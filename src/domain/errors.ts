/**
 * The one error type for conditions a caller handles. Each error carries a stable
 * `code`; the HTTP layer maps codes to statuses in one table (`src/http/error_map.ts`).
 * Messages are for people and never contain key material; never branch on them.
 */

/** Every condition a caller of FerroHSM services may need to handle. */
export const HSM_ERROR_CODES = [
  "invalid_request",
  "unauthenticated",
  "forbidden",
  "policy_denied",
  "not_found",
  "conflict",
  "invalid_state",
  "payload_too_large",
  "integrity_error",
  "rate_limited",
  "audit_unavailable",
  "unavailable",
  "internal",
] as const;

/** A stable error code (snake_case, part of the API contract). */
export type HsmErrorCode = typeof HSM_ERROR_CODES[number];

/** A handled failure with a stable code and a safe, human message. */
export class HsmError extends Error {
  /** Stable machine-readable code (snake_case, part of the API contract). */
  readonly code: HsmErrorCode;

  constructor(code: HsmErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HsmError";
    this.code = code;
  }
}

/** True when `err` is an HsmError with the given code (or any code when omitted). */
export function isHsmError(err: unknown, code?: HsmErrorCode): err is HsmError {
  return err instanceof HsmError && (code === undefined || err.code === code);
}
