/**
 * The one table that maps error codes to HTTP statuses and the contract's error body
 * `{"error": {"code", "message"}}`. Unexpected errors answer a generic 500 message so
 * internals never leak; handlers never choose statuses from message text.
 */

import type { Context } from "hono";
import { HsmError, type HsmErrorCode } from "../domain/errors.ts";

const STATUS: Record<HsmErrorCode, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid_state: 409,
  payload_too_large: 413,
  integrity_error: 422,
  rate_limited: 429,
  audit_unavailable: 503,
  unavailable: 503,
  internal: 500,
};

/** The HTTP status for an error code. */
export function statusFor(code: HsmErrorCode): number {
  return STATUS[code];
}

/** The contract's error body. */
export function errorBody(
  code: HsmErrorCode,
  message: string,
): { error: { code: HsmErrorCode; message: string } } {
  return { error: { code, message } };
}

/** Renders any thrown value as a contract error response. */
export function errorResponse(c: Context, err: unknown): Response {
  const e = err instanceof HsmError ? err : new HsmError("internal", "Internal error");
  const message = e.code === "internal" ? "Internal error" : e.message;
  const status = statusFor(e.code);
  if (e.code === "unauthenticated") c.header("WWW-Authenticate", 'Bearer realm="ferrohsm"');
  // deno-lint-ignore no-explicit-any
  return c.json(errorBody(e.code, message), status as any);
}
