/**
 * Renders errors as the contract's body `{"error": {"code", "message"}}` with the status
 * of `src/contract/status.ts`. Unexpected errors answer a generic 500 message so
 * internals never leak; handlers never choose statuses from message text.
 */

import type { Context } from "hono";
import { statusForCode } from "../contract/status.ts";
import { HsmError, type HsmErrorCode } from "../domain/errors.ts";

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
  const status = statusForCode(e.code);
  if (e.code === "unauthenticated") c.header("WWW-Authenticate", 'Bearer realm="ferrohsm"');
  // deno-lint-ignore no-explicit-any
  return c.json(errorBody(e.code, message), status as any);
}
