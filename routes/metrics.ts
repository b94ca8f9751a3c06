/**
 * `GET /metrics`: Prometheus text exposition format 0.0.4. Open by default (bind the
 * listener to localhost or a private network); with `--metrics-auth` it needs a bearer
 * token whose roles grant `metrics:read`. Scrapes are not audited (they touch no key).
 */

import { Hono } from "hono";
import type { Role } from "../src/access/rbac.ts";
import { HsmError } from "../src/domain/errors.ts";
import { type Authenticator, bearerAuth } from "../src/http/auth_middleware.ts";
import type { AppEnv } from "../src/http/context.ts";
import { PROMETHEUS_CONTENT_TYPE } from "../src/metrics/registry.ts";

/** Who may scrape when `/metrics` is protected. */
export interface MetricsAuth {
  readonly authenticator: Authenticator;
  /** True when `roles` grant `action` (the RBAC policy). */
  allows(roles: readonly Role[], action: "metrics:read"): boolean;
}

/** What the route needs (built by the composition root). */
export interface MetricsSource {
  /** The exposition text. */
  render(): Promise<string>;
  /** Require a token with `metrics:read`; open when omitted. */
  readonly auth?: MetricsAuth | undefined;
}

/** Routes for the Prometheus endpoint. */
export function metricsRoutes(source: MetricsSource): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const auth = source.auth;
  if (auth !== undefined) {
    app.use("/metrics", bearerAuth(auth.authenticator));
    app.use("/metrics", async function metricsAuthorization(c, next) {
      if (!auth.allows(c.get("actor").roles, "metrics:read")) {
        throw new HsmError("forbidden", "Cannot perform metrics:read: not permitted");
      }
      await next();
    });
  }
  app.get("/metrics", async (c) => {
    const text = await source.render();
    return c.body(text, 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
  });
  return app;
}
