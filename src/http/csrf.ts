/**
 * CSRF protection of the web dashboard. Every state-changing request (any method but
 * GET, HEAD and OPTIONS) must come from our own origin — its `Origin` header equal to the
 * request's origin, and `Sec-Fetch-Site`, when the browser sends it, `same-origin` — and
 * carry the session's synchronizer token, in the `X-CSRF-Token` header (htmx sends it
 * through `hx-headers`) or the `_csrf` form field (plain forms without JavaScript). The
 * token is compared in constant time. Anything else is refused (403).
 *
 * Caveat: the origin check compares with the URL the server sees; behind a proxy that
 * terminates TLS or rewrites `Host`, the two differ and every form is refused, so the
 * dashboard is served by FerroHSM's own TLS listener.
 */

import type { Context, MiddlewareHandler } from "hono";
import { utf8 } from "../core/encoding.ts";
import { timingSafeEqual } from "../core/zeroize.ts";
import type { UiEnv } from "./ui_session_middleware.ts";

/** The request header htmx sends the token in. */
export const CSRF_HEADER = "X-CSRF-Token";

/** The form field plain forms send the token in. */
export const CSRF_FIELD = "_csrf";

/** Why a request was refused. */
export type CsrfRefusal = "origin" | "token";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** True for methods that never change state. */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method);
}

/**
 * True when the request says it comes from the page's own origin (`Origin` equal to the
 * request URL's origin; `Sec-Fetch-Site` same-origin when present). A missing or `null`
 * Origin is not same-origin.
 */
export function isSameOrigin(c: Context): boolean {
  const origin = c.req.header("Origin");
  if (origin === undefined || origin === "null") return false;
  const site = c.req.header("Sec-Fetch-Site");
  if (site !== undefined && site !== "same-origin") return false;
  return origin === new URL(c.req.url).origin;
}

/** The token a request carries (header first, then the form field), if any. */
export async function presentedToken(c: Context): Promise<string | undefined> {
  const header = c.req.header(CSRF_HEADER);
  if (header !== undefined) return header;
  const type = c.req.header("Content-Type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) {
    return undefined;
  }
  const body = await c.req.parseBody();
  const field = body[CSRF_FIELD];
  return typeof field === "string" ? field : undefined;
}

/** True when `presented` is the session's token. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  return presented !== undefined && timingSafeEqual(utf8(presented), utf8(expected));
}

/** Refuses state-changing requests that fail the origin or token check. */
export function csrfProtection(
  onRefused: (c: Context<UiEnv>, reason: CsrfRefusal) => Response | Promise<Response>,
): MiddlewareHandler<UiEnv> {
  return async function csrfMiddleware(c, next) {
    if (isSafeMethod(c.req.method)) return await next();
    if (!isSameOrigin(c)) return await onRefused(c, "origin");
    if (!tokenMatches(await presentedToken(c), c.get("session").csrfToken)) {
      return await onRefused(c, "token");
    }
    await next();
  };
}
