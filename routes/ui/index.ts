/**
 * The web dashboard, assembled: security headers on `/ui` and `/static`, the static
 * assets, sign-in (open), then for every other `/ui` path the session, the per-actor
 * rate limit and the CSRF check, and the pages (one file each). Unknown `/ui` paths and
 * every error answer HTML (a page, or a notice for htmx), never the API's JSON.
 *
 * Pages call the same services as the API with the session's actor, so RBAC and audit
 * are the API's: the dashboard adds no privileged path of its own.
 */

import { type Context, Hono } from "hono";
import { HsmError } from "../../src/domain/errors.ts";
import { csrfProtection, type CsrfRefusal, isSafeMethod } from "../../src/http/csrf.ts";
import { uiSecurityHeaders } from "../../src/http/ui_headers.ts";
import {
  clearSessionCookie,
  requireSession,
  sessionCookie,
  type UiEnv,
} from "../../src/http/ui_session_middleware.ts";
import { approvalsRoutes } from "./approvals.ts";
import { auditRoutes } from "./audit.ts";
import { keyRoutes } from "./key.ts";
import { keysRoutes } from "./keys.ts";
import { loginRoutes, logoutRoutes } from "./login.ts";
import { OVERVIEW_POLL_PATH, overviewRoutes } from "./overview.ts";
import { isHtmx, renderError, type UiDeps } from "./_shared.ts";
import { staticRoutes } from "./static.ts";

export type { OverviewSource, UiDeps } from "./_shared.ts";

/** The dashboard's routes (mount at `/`). */
export function uiRoutes(deps: UiDeps): Hono<UiEnv> {
  const app = new Hono<UiEnv>();
  app.use("/ui/*", uiSecurityHeaders());
  app.use("/static/*", uiSecurityHeaders());
  app.route("/", staticRoutes());
  app.route("/", loginRoutes(deps));

  app.use(
    "/ui/*",
    requireSession(deps.sessions, {
      onSignedOut: (c) => signedOut(c, deps),
      touch: (c) => c.req.path !== OVERVIEW_POLL_PATH,
    }),
  );
  const limiter = deps.actorLimiter;
  if (limiter !== undefined) {
    app.use("/ui/*", async function uiActorRateLimit(c, next) {
      const actor = c.get("actor");
      const decision = limiter.take(`sub:${actor.id}`, actor.roles);
      if (!decision.allowed) {
        return await renderError(
          c,
          new HsmError("rate_limited", "Too many requests, retry later"),
          deps,
        );
      }
      await next();
    });
  }
  app.use("/ui/*", csrfProtection((c, reason) => refused(c, reason, deps)));

  app.route("/", logoutRoutes(deps));
  app.route("/", overviewRoutes(deps));
  app.route("/", keysRoutes(deps));
  app.route("/", keyRoutes(deps));
  app.route("/", approvalsRoutes(deps));
  app.route("/", auditRoutes(deps));
  app.all("/ui/*", (c) => renderError(c, new HsmError("not_found", "No such page"), deps));
  app.onError((err, c) => renderError(c, err, deps));
  return app;
}

/** Without a live session: to the sign-in page (GET, htmx), or refused (other writes). */
function signedOut(c: Context<UiEnv>, deps: UiDeps): Response | Promise<Response> {
  const hadCookie = sessionCookie(c) !== undefined;
  if (hadCookie) clearSessionCookie(c);
  const login = hadCookie ? "/ui/login?reason=expired" : "/ui/login";
  if (isHtmx(c)) {
    c.header("HX-Redirect", login);
    return c.body(null, 401);
  }
  if (isSafeMethod(c.req.method)) return c.redirect(login, 303);
  return renderError(
    c,
    new HsmError("forbidden", "Cannot change anything: you are not signed in"),
    deps,
  );
}

function refused(
  c: Context<UiEnv>,
  reason: CsrfRefusal,
  deps: UiDeps,
): Response | Promise<Response> {
  const message = reason === "origin"
    ? "Cannot accept a request sent from another site"
    : "Cannot accept this form: it is out of date, reload the page and try again";
  return renderError(c, new HsmError("forbidden", message), deps);
}
