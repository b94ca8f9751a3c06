/**
 * `GET /healthz` (liveness and figures, no auth) and `GET /readyz` (503 until serving).
 */

import { Hono } from "hono";
import type { AppEnv } from "../src/http/context.ts";

/** Supplies the health document (built by the composition root). */
export interface HealthSource {
  /** True once start-up (self-tests, stores, audit) has completed. */
  ready(): boolean;
  /** The health document; `status` is "ok" or "degraded". */
  report(): Promise<Record<string, unknown> & { status: string }>;
}

/** Routes for health and readiness. */
export function healthRoutes(source: HealthSource): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/healthz", async (c) => {
    const report = await source.report();
    return c.json(report, report.status === "ok" ? 200 : 503);
  });
  app.get("/readyz", (c) => {
    return source.ready() ? c.json({ status: "ready" }) : c.json({ status: "starting" }, 503);
  });
  return app;
}
