/**
 * `GET /healthz` (liveness, no auth: `{status, uptime_s}`; with a bearer token of any
 * role: the full report) and `GET /readyz` (503 until serving, and while the stores or
 * the audit log cannot be used).
 */

import { Hono } from "hono";
import type { Authenticator } from "../src/http/auth_middleware.ts";
import type { AppEnv } from "../src/http/context.ts";
import { optionalBearerAuth } from "../src/http/optional_auth.ts";

/** Supplies the health document (built by the composition root). */
export interface HealthSource {
  /** "ready" once start-up has completed and the stores and audit log can be used. */
  readiness(): Promise<"ready" | "starting" | "unavailable">;
  /** The health document (`status` "ok" or "degraded"); figures only when `detailed`. */
  report(detailed: boolean): Promise<Record<string, unknown> & { status: string }>;
  /** Verifies tokens; a valid one (any role) unlocks the detailed report. */
  readonly authenticator: Authenticator;
}

/** Routes for health and readiness. */
export function healthRoutes(source: HealthSource): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("/healthz", optionalBearerAuth(source.authenticator));
  app.get("/healthz", async (c) => {
    const detailed = (c.get("actor") as AppEnv["Variables"]["actor"] | undefined) !== undefined;
    const report = await source.report(detailed);
    return c.json(report, report.status === "ok" ? 200 : 503);
  });
  app.get("/readyz", async (c) => {
    const status = await source.readiness();
    return c.json({ status }, status === "ready" ? 200 : 503);
  });
  return app;
}
