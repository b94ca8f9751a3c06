/**
 * Session middleware of the web dashboard: the `__Host-` session cookie (HttpOnly,
 * Secure, SameSite=Strict, Path=/), finding the session it names, and holding a session
 * to the mTLS client certificate it was opened with. It never looks at an
 * `Authorization` header: the dashboard is signed in by its cookie only, and the JSON API
 * (bearer tokens only) never reads this cookie.
 */

import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { certificateBindingHolds, withRequestFacts } from "./auth_middleware.ts";
import type { AppEnv } from "./context.ts";
import type { SessionStore, UiSession } from "./ui_sessions.ts";

/** The cookie name without its prefix; browsers see `__Host-ferrohsm_session`. */
export const SESSION_COOKIE = "ferrohsm_session";

/** The full cookie name as sent by browsers. */
export const SESSION_COOKIE_NAME = `__Host-${SESSION_COOKIE}`;

/** Hono environment of dashboard routes: the API's variables plus the session. */
export interface UiEnv {
  Variables: AppEnv["Variables"] & {
    /** The signed-in session (set by `requireSession`). */
    session: UiSession;
  };
}

/** Options of `requireSession`. */
export interface RequireSessionOptions {
  /** Answers a request without a live session (redirect to sign-in, or refuse). */
  readonly onSignedOut: (c: Context<UiEnv>) => Response | Promise<Response>;
  /** False for requests that must not count as activity (background polling). */
  readonly touch?: (c: Context<UiEnv>) => boolean;
}

/** The session cookie value of a request, if any. */
export function sessionCookie(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE, "host");
}

/** Sets the session cookie for `maxAgeMs`. */
export function setSessionCookie(c: Context, value: string, maxAgeMs: number): void {
  setCookie(c, SESSION_COOKIE, value, {
    prefix: "host",
    path: "/",
    secure: true,
    httpOnly: true,
    sameSite: "Strict",
    maxAge: Math.floor(maxAgeMs / 1000),
  });
}

/** Tells the browser to drop the session cookie. */
export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, {
    prefix: "host",
    path: "/",
    secure: true,
    httpOnly: true,
    sameSite: "Strict",
  });
}

/**
 * True when `session` may serve a connection presenting `thumbprint`: a session opened
 * over mutual TLS is held to that certificate; others are not bound.
 */
export function sessionBindingHolds(session: UiSession, thumbprint: string | undefined): boolean {
  return session.certThumbprint === undefined ||
    certificateBindingHolds(session.certThumbprint, thumbprint);
}

/** Loads the session named by the cookie into `session` and `actor`, or signs out. */
export function requireSession(
  store: SessionStore,
  options: RequireSessionOptions,
): MiddlewareHandler<UiEnv> {
  return async function requireSessionMiddleware(c, next) {
    const cookie = sessionCookie(c);
    const touch = options.touch?.(c) ?? true;
    const session = store.lookup(cookie, { touch });
    if (session === undefined) return await options.onSignedOut(c);
    if (!sessionBindingHolds(session, c.get("clientCertThumbprint"))) {
      // A cookie replayed over another certificate (or none): that session is over.
      store.close(cookie);
      return await options.onSignedOut(c);
    }
    c.set("session", session);
    // The request's facts (channel `ui`) go with the actor for policy scripts.
    c.set("actor", withRequestFacts(session.actor, c, "ui"));
    await next();
  };
}
