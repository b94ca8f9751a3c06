/**
 * The one table that maps error codes to HTTP statuses. The HTTP layer renders errors
 * with it and the OpenAPI document declares error answers with it.
 */

import type { HsmErrorCode } from "../domain/errors.ts";

const STATUS: Readonly<Record<HsmErrorCode, number>> = Object.freeze({
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  policy_denied: 403,
  not_found: 404,
  conflict: 409,
  invalid_state: 409,
  payload_too_large: 413,
  integrity_error: 422,
  rate_limited: 429,
  audit_unavailable: 503,
  unavailable: 503,
  internal: 500,
});

/** The HTTP status for an error code. */
export function statusForCode(code: HsmErrorCode): number {
  return STATUS[code];
}
