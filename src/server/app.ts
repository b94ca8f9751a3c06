/**
 * The HTTP application over the services: the API routers under `/api/v1`, the open
 * routes (health, metrics, OpenAPI), authentication observed by the metrics, and the
 * answer every request gets while the server is still starting.
 */

import type { Hono } from "hono";
import type { Config } from "../config/config.ts";
import { createApp } from "../http/app.ts";
import type { AppEnv } from "../http/context.ts";
import { httpMetrics, observeAuthFailures } from "../http/metrics_middleware.ts";
import { approvalsRoutes } from "../../routes/approvals.ts";
import { auditRoutes } from "../../routes/audit.ts";
import { cryptoOpsRoutes } from "../../routes/crypto_ops.ts";
import { healthRoutes } from "../../routes/health.ts";
import { keysRoutes } from "../../routes/keys.ts";
import { keyOperationsRoutes } from "../../routes/key_operations.ts";
import { metricsRoutes } from "../../routes/metrics.ts";
import { openapiRoutes } from "../../routes/openapi.ts";
import { healthReport } from "./health_report.ts";
import type { Services } from "./services.ts";

/** Builds the HTTP application over `services`; `ready` reports readiness. */
export function buildApp(
  services: Services,
  config: Config,
  ready: () => boolean,
  started = Date.now(),
): Hono<AppEnv> {
  const authenticator = observeAuthFailures(
    services.verifier,
    (reason) => services.metrics.jwtFailure(reason),
  );
  return createApp({
    authenticator,
    metrics: httpMetrics(services.metrics),
    limits: services.limits,
    api: [
      ["/keys", keysRoutes(services.keys, services.crypto)],
      ["/keys", cryptoOpsRoutes(services.crypto)],
      ["/keys", keyOperationsRoutes(services)],
      ["/approvals", approvalsRoutes(services.approvals)],
      ["/audit", auditRoutes(services.audit)],
    ],
    open: [
      healthRoutes({ ready, report: () => healthReport(services, config, started) }),
      metricsRoutes({
        render: () => services.metrics.render(),
        auth: config.metricsAuth
          ? {
            authenticator,
            allows: (roles, action) => services.rbac.allows(roles, action),
          }
          : undefined,
      }),
      openapiRoutes(),
    ],
  });
}

/** The answer to any request while the server is still starting. */
export function startingResponse(req: Request, started: number): Response {
  const path = new URL(req.url).pathname;
  const body = path === "/readyz" || path === "/healthz"
    ? { status: "starting", uptime_s: Math.floor((Date.now() - started) / 1000) }
    : { error: { code: "unavailable", message: "Server is starting" } };
  return Response.json(body, { status: 503, headers: { "Retry-After": "1" } });
}
