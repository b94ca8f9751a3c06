/**
 * The HTTP application over the services: the API routers under `/api/v1`, the Vault
 * Transit bridge under `/v1/transit` (its own gate, the same services and limiters), the
 * open routes (health, metrics, OpenAPI), the web dashboard (`/ui`) over the same services,
 * authentication observed by the metrics, the per-second request ring the dashboard
 * charts, and the answer every request gets while the server is still starting.
 */

import type { Hono } from "hono";
import type { ServerConfig } from "../config/config_files.ts";
import { createApp } from "../http/app.ts";
import type { AppEnv } from "../http/context.ts";
import {
  httpMetrics,
  type HttpRequestObserver,
  observeAuthFailures,
} from "../http/metrics_middleware.ts";
import { RequestRate } from "../metrics/request_rate.ts";
import { approvalsRoutes } from "../../routes/approvals.ts";
import { auditRoutes } from "../../routes/audit.ts";
import { cryptoOpsRoutes } from "../../routes/crypto_ops.ts";
import { healthRoutes } from "../../routes/health.ts";
import { keysRoutes } from "../../routes/keys.ts";
import { keyOperationsRoutes } from "../../routes/key_operations.ts";
import { metricsRoutes } from "../../routes/metrics.ts";
import { openapiRoutes } from "../../routes/openapi.ts";
import { policiesRoutes } from "../../routes/policies.ts";
import { retentionRoutes } from "../../routes/retention.ts";
import { transitRoutes } from "../../routes/transit/transit.ts";
import { uiRoutes } from "../../routes/ui/index.ts";
import { HealthProbe, healthReport } from "./health_report.ts";
import type { Services } from "./services.ts";

/**
 * Builds the HTTP application over `services`; `ready` reports readiness, `connections`
 * the listener's connection counters (shown in the authenticated health report).
 */
export function buildApp(
  services: Services,
  config: ServerConfig,
  ready: () => boolean,
  started = Date.now(),
  connections?: () => unknown,
): Hono<AppEnv> {
  const authenticator = observeAuthFailures(
    services.verifier,
    (reason) => services.metrics.jwtFailure(reason),
  );
  const probe = new HealthProbe(services, config);
  const rate = new RequestRate();
  const observer: HttpRequestObserver = {
    httpRequest(route, method, status, seconds) {
      services.metrics.httpRequest(route, method, status, seconds);
      rate.record(status);
    },
  };
  const ui = uiRoutes({
    keys: services.keys,
    crypto: services.crypto,
    approvals: services.approvals,
    audit: services.audit,
    authenticator,
    sessions: services.uiSessions,
    certificates: config.files.uiCertificates,
    guard: services.guard,
    allows: (roles, action) => services.rbac.allows(roles, action),
    overview: {
      metricsText: () => services.metrics.render(),
      storeHealth: async () => (await probe.check()).stores,
      auditHead: () => services.auditLog.head(),
      requestRate: () => rate.series(),
      version: Deno.env.get("FERROHSM_VERSION") ?? "development",
    },
    actorLimiter: services.limits.actor,
    mtls: config.tlsClientCa !== undefined,
  });
  const app = createApp({
    authenticator,
    hsts: config.tlsCert !== undefined || config.acme !== undefined,
    metrics: httpMetrics(observer),
    ui,
    limits: services.limits,
    api: [
      ["/keys", keysRoutes(services.keys, services.crypto)],
      ["/keys", cryptoOpsRoutes(services.crypto)],
      ["/keys", keyOperationsRoutes(services)],
      ["/approvals", approvalsRoutes(services.approvals)],
      ["/audit", auditRoutes(services.audit)],
      ["/policies", policiesRoutes(services.policies)],
      ["/retention", retentionRoutes(services.retention)],
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
  // Outside /api/v1 (and its OpenAPI contract): Vault's Transit surface, see docs/transit.md.
  app.route(
    "/v1/transit",
    transitRoutes({
      keys: services.keys,
      crypto: services.crypto,
      authenticator,
      keyWrites: () => services.listCache.generation,
      limits: services.limits,
    }),
  );
  return app;
}

/** The answer to any request while the server is still starting. */
export function startingResponse(req: Request, started: number): Response {
  const path = new URL(req.url).pathname;
  const body = path === "/readyz" || path === "/healthz"
    ? { status: "starting", uptime_s: Math.floor((Date.now() - started) / 1000) }
    : { error: { code: "unavailable", message: "Server is starting" } };
  return Response.json(body, { status: 503, headers: { "Retry-After": "1" } });
}
