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
import { metricsRoutes } from "../../routes/metrics.ts";
import { openapiRoutes } from "../../routes/openapi.ts";
import { HealthProbe, healthReport } from "./health_report.ts";
import type { Services } from "./services.ts";

/**
 * Builds the HTTP application over `services`; `ready` reports readiness, `connections`
 * the listener's connection counters (shown in the authenticated health report).
 */
export function buildApp(
  services: Services,
  config: Config,
  ready: () => boolean,
  started = Date.now(),
  connections?: () => unknown,
): Hono<AppEnv> {
  const authenticator = observeAuthFailures(
    services.verifier,
    (reason) => services.metrics.jwtFailure(reason),
  );
  const probe = new HealthProbe(services, config);
  return createApp({
    authenticator,
    hsts: config.tlsCert !== undefined,
    metrics: httpMetrics(services.metrics),
    limits: services.limits,
    api: [
      ["/keys", keysRoutes(services.keys, services.crypto)],
      ["/keys", cryptoOpsRoutes(services.crypto)],
      ["/approvals", approvalsRoutes(services.approvals)],
      ["/audit", auditRoutes(services.audit)],
    ],
    open: [
      healthRoutes({
        authenticator,
        async readiness() {
          if (!ready()) return "starting";
          return (await probe.check()).ok ? "ready" : "unavailable";
        },
        report: async (detailed) => {
          const report = healthReport(services, await probe.check(), started, detailed);
          const figures = detailed ? connections?.() : undefined;
          return figures === undefined ? report : { ...report, connections: figures };
        },
      }),
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
