/**
 * Signing in and out of the dashboard. `GET /ui/login` shows the token form, or, on a
 * mutual-TLS connection whose certificate the certificate map lists, opens a session
 * for that identity at once. `POST /ui/login` verifies a pasted token exactly as the API
 * verifies a bearer token (same verifier, same certificate binding for `cnf` tokens),
 * refuses tokens without a dashboard role, and opens a session; any failure shows the
 * form again with one vague message and sets no cookie. `POST /ui/logout` ends the
 * session. Sign-in and sign-out are audited (`ui.sign_in`, `ui.sign_out`).
 *
 * Security: the login POST has no session yet, so it is protected from cross-site
 * posting by the origin check alone (and the cookie's SameSite=Strict); a new session id
 * is issued at every sign-in (no fixation). Only dashboard roles enter the session: a
 * token that also holds `Service` signs in without it.
 */

import { type Context, Hono } from "hono";
import type { Actor } from "../../src/access/guard.ts";
import { HsmError, isHsmError } from "../../src/domain/errors.ts";
import { certificateBindingHolds } from "../../src/http/auth_middleware.ts";
import { isSameOrigin } from "../../src/http/csrf.ts";
import { DASHBOARD_ROLES } from "../../src/http/ui_certificates.ts";
import {
  clearSessionCookie,
  sessionBindingHolds,
  sessionCookie,
  setSessionCookie,
  type UiEnv,
} from "../../src/http/ui_session_middleware.ts";
import type { SignInMethod } from "../../src/http/ui_sessions.ts";
import { type LoginModel, LoginPage } from "../../views/login.tsx";
import { formString, html, renderError, type UiDeps } from "./_shared.ts";

const REFUSED = "Invalid or expired credentials, or a role that cannot use the dashboard";

const REASONS: Readonly<Record<string, string>> = {
  expired: "Your session has ended. Sign in again.",
  signed_out: "You are signed out.",
};

/** Routes for signing in (open) — mounted before the session middleware. */
export function loginRoutes(deps: UiDeps): Hono<UiEnv> {
  const app = new Hono<UiEnv>();

  app.get("/ui/login", async (c) => {
    const live = deps.sessions.lookup(sessionCookie(c), { touch: false });
    if (live !== undefined && sessionBindingHolds(live, c.get("clientCertThumbprint"))) {
      return c.redirect("/ui", 303);
    }
    const thumbprint = c.get("clientCertThumbprint");
    const identity = deps.certificates.lookup(thumbprint);
    if (identity !== undefined) {
      return await signIn(c, deps, { id: identity.sub, roles: identity.roles }, "certificate");
    }
    const reason = c.req.query("reason");
    return loginPage(c, deps, {
      info: reason !== undefined && Object.hasOwn(REASONS, reason) ? REASONS[reason] : undefined,
    });
  });

  app.post("/ui/login", async (c) => {
    if (!isSameOrigin(c)) {
      return renderError(c, new HsmError("forbidden", "Cannot sign in: cross-site request"), deps);
    }
    const token = formString(await c.req.parseBody(), "token").trim();
    let actor: Actor;
    try {
      actor = await verifyToken(c, deps, token);
    } catch (err) {
      if (!isHsmError(err, "unauthenticated")) throw err;
      return loginPage(c, deps, { error: REFUSED }, 401);
    }
    return await signIn(c, deps, actor, "token");
  });

  return app;
}

/** Sign out (mounted behind the session and CSRF middleware). */
export function logoutRoutes(deps: UiDeps): Hono<UiEnv> {
  const app = new Hono<UiEnv>();
  app.post("/ui/logout", async (c) => {
    const session = c.get("session");
    deps.sessions.close(sessionCookie(c));
    clearSessionCookie(c);
    await deps.guard.run({
      actor: session.actor,
      action: "ui.sign_out",
      payload: { session: session.ref },
    }, () => Promise.resolve());
    if (c.req.header("HX-Request") === "true") {
      c.header("HX-Redirect", "/ui/login?reason=signed_out");
      return c.body(null, 204);
    }
    return c.redirect("/ui/login?reason=signed_out", 303);
  });
  return app;
}

function loginPage(
  c: Context<UiEnv>,
  deps: UiDeps,
  model: Omit<LoginModel, "mtls">,
  status = 200,
): Response | Promise<Response> {
  return html(c, LoginPage({ model: { ...model, mtls: deps.mtls } }), status);
}

/**
 * Verifies a pasted token as the API does and returns the session's actor.
 * @throws HsmError("unauthenticated") for any bad credential or a non-dashboard token
 */
async function verifyToken(c: Context<UiEnv>, deps: UiDeps, token: string): Promise<Actor> {
  if (token === "") throw new HsmError("unauthenticated", REFUSED);
  const principal = await deps.authenticator.verify(token);
  if (
    principal.cnfX5tS256 !== undefined &&
    !certificateBindingHolds(principal.cnfX5tS256, c.get("clientCertThumbprint"))
  ) {
    deps.authenticator.reportFailure?.("certificate_mismatch");
    throw new HsmError("unauthenticated", REFUSED);
  }
  const roles = principal.roles.filter((r) => DASHBOARD_ROLES.includes(r));
  if (roles.length === 0) throw new HsmError("unauthenticated", REFUSED);
  return { id: principal.sub, roles };
}

/** Opens a session for `actor`, audits it, sets the cookie and lands on the overview. */
async function signIn(
  c: Context<UiEnv>,
  deps: UiDeps,
  actor: Actor,
  via: SignInMethod,
): Promise<Response> {
  const { cookie, session } = deps.sessions.open(actor, {
    via,
    certThumbprint: c.get("clientCertThumbprint"),
  });
  try {
    await deps.guard.run({
      actor,
      action: "ui.sign_in",
      payload: { via, session: session.ref },
    }, () => Promise.resolve());
  } catch (err) {
    // No session without its audit entry.
    deps.sessions.close(cookie);
    throw err;
  }
  setSessionCookie(c, cookie, deps.sessions.ttlMs);
  return c.redirect("/ui", 303);
}
