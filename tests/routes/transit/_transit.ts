/**
 * In-process Transit calls for the route tests: a Vault-style JSON request (token in
 * `X-Vault-Token`) against the test app, answered as status, parsed body and headers.
 * Transit answers are Vault's, outside the FerroHSM contract, so they are not checked
 * by the contract conformance helper.
 */

import { type ApiResponse, readResponse } from "../../../testing/server_process.ts";
import type { TestApp } from "../_app.ts";

/** A Transit caller bound to the app and a token. */
export type TransitCall = (method: string, path: string, body?: unknown) => Promise<ApiResponse>;

/** Calls `/v1/transit<path>` with `token` in `X-Vault-Token`. */
export function transit(t: TestApp, token: string | undefined): TransitCall {
  return async (method, path, body) => {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers["X-Vault-Token"] = token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await t.app.request(`/v1/transit${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return await readResponse(res);
  };
}

/** Standard base64 of a UTF-8 string. */
export function b64(text: string): string {
  return btoa(text);
}
