/**
 * `GET /healthz` (liveness and figures, no auth) and `GET /readyz` (503 until serving).
 * A bearer token granting `metrics:read` adds the detail of the TLS certificate (OCSP,
 * ACME) and the audit sinks; without one (or with a bad one, which is not an error
 * here) those show only their status.
 */

import type { Context } from "hono";
import { Hono } from "hono";
import type { Role } from "../src/access/rbac.ts";
import { type Authenticator, certificateBindingHolds } from "../src/http/auth_middleware.ts";
import type { AppEnv } from "../src/http/context.ts";

/** Who may see the health detail. */
export interface HealthDetailAuth {
  readonly authenticator: Authenticator;
  /** True when `roles` grant `action` (the RBAC policy). */
  allows(roles: readonly Role[], action: "metrics:read"): boolean;
}

/** Supplies the health document (built by the composition root). */
export interface HealthSource {
  /** True once start-up (self-tests, stores, audit) has completed. */
  ready(): boolean;
  /** The health document (with detail when `detail`); `status` is "ok" or "degraded". */
  report(detail: boolean): Promise<Record<string, unknown> & { status: string }>;
  /** Who sees the detail; nobody when omitted. */
  readonly detail?: HealthDetailAuth | undefined;
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

/** True when the request carries a valid token granting `metrics:read`. */
async function maySeeDetail(c: Context<AppEnv>, auth: HealthDetailAuth | undefined) {
  const m = BEARER.exec(c.req.header("Authorization") ?? "");
  if (auth === undefined || m === null) return false;
  try {
    const principal = await auth.authenticator.verify(m[1] as string);
    if (
      principal.cnfX5tS256 !== undefined &&
      !certificateBindingHolds(principal.cnfX5tS256, c.get("clientCertThumbprint"))
    ) {
      return false;
    }
    return auth.allows(principal.roles, "metrics:read");
  } catch {
    return false;
  }
}

/** Routes for health and readiness. */
export function healthRoutes(source: HealthSource): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/healthz", async (c) => {
    const report = await source.report(await maySeeDetail(c, source.detail));
    return c.json(report, report.status === "ok" ? 200 : 503);
  });
  app.get("/readyz", (c) => {
    return source.ready() ? c.json({ status: "ready" }) : c.json({ status: "starting" }, 503);
  });
  return app;
}
