/**
 * Builds the Hono application: connection facts from the listener, security headers
 * (HSTS on TLS listeners only), request ids, the header size limit, the per-address rate
 * limit and the concurrency bound on every path (the open routes `/healthz`, `/readyz`,
 * `/metrics` and `/api/v1/openapi.json` included, so a flood of them is refused like any
 * other), then on `/api`: the 1 MiB body limit, bearer authentication (with RFC 8705
 * certificate binding) and the per-actor rate limit; the routers, and the single error
 * renderer. The web dashboard (`/ui`, `/static`) is mounted beside the API with the
 * per-address rate limit and a smaller body limit; its own router adds sessions and CSRF.
 * Pure wiring: every decision lives in the services and middleware it mounts.
 */

import { Hono, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { HsmError } from "../domain/errors.ts";
import { bodyLimit } from "./body_limit.ts";
import { type AppEnv, connectionInfo } from "./context.ts";
import { errorResponse } from "./error_map.ts";
import { type Authenticator, bearerAuth } from "./auth_middleware.ts";
import {
  actorRateLimit,
  DEFAULT_HEADER_LIMITS,
  headerLimit,
  type HeaderLimits,
  ipRateLimit,
  loadShed,
} from "./limits_middleware.ts";
import type { ConcurrencyLimiter } from "./load_shed.ts";
import type { RateLimiter } from "./rate_limiter.ts";
import type { UiEnv } from "./ui_session_middleware.ts";

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Largest accepted dashboard form body. */
export const UI_MAX_BODY_BYTES = 64 * 1024;

/** Routers mounted by the app (built by the composition root). */
export interface AppRouters {
  readonly authenticator: Authenticator;
  /** Routers under `/api/v1` with their mount paths (e.g. `/keys`). */
  readonly api: readonly (readonly [string, Hono<AppEnv>])[];
  /** Unauthenticated routers mounted at the root (health, metrics, openapi). */
  readonly open: readonly Hono<AppEnv>[];
  /** The web dashboard (`/ui`, `/static`), with its own session authentication. */
  readonly ui?: Hono<UiEnv>;
  /** Request metrics middleware, mounted before everything else so it sees every answer. */
  readonly metrics?: MiddlewareHandler<AppEnv>;
  /** Responses carry `Strict-Transport-Security` (set when the listener uses TLS). */
  readonly hsts?: boolean;
  /** Abuse and overload limits; header limits default to DEFAULT_HEADER_LIMITS. */
  readonly limits?: {
    readonly ip?: RateLimiter;
    readonly actor?: RateLimiter;
    readonly shed?: ConcurrencyLimiter;
    readonly headers?: HeaderLimits;
  };
}

/** A client's `X-Request-Id` that is echoed (else a fresh UUID is used). */
const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

/** HSTS for TLS responses: one year, every subdomain of the API host's name. */
const HSTS_VALUE = "max-age=31536000; includeSubDomains";

/** The fixed headers every response carries, built once (no arrays per request). */
const FIXED_HEADERS: readonly (readonly [string, string])[] = Object.freeze(
  [
    ["X-Content-Type-Options", "nosniff"],
    ["Referrer-Policy", "no-referrer"],
    ["Cache-Control", "no-store"],
    ["X-Frame-Options", "DENY"],
    ["Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"],
  ] as const,
);
const FIXED_HEADERS_HSTS: readonly (readonly [string, string])[] = Object.freeze([
  ...FIXED_HEADERS,
  ["Strict-Transport-Security", HSTS_VALUE] as const,
]);

/** The headers every response carries (`hsts`: TLS listeners only). */
function securityHeaderList(requestId: string, hsts: boolean): (readonly [string, string])[] {
  return [["X-Request-Id", requestId], ...(hsts ? FIXED_HEADERS_HSTS : FIXED_HEADERS)];
}

/** Creates the HTTP application. */
export function createApp(routers: AppRouters): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const hsts = routers.hsts === true;
  app.use("*", connectionInfo());
  if (routers.metrics !== undefined) app.use("*", routers.metrics);

  const fixed = hsts ? FIXED_HEADERS_HSTS : FIXED_HEADERS;
  app.use("*", async function securityHeaders(c, next) {
    const id = c.req.header("X-Request-Id");
    const requestId = id !== undefined && REQUEST_ID_RE.test(id) ? id : crypto.randomUUID();
    c.set("requestId", requestId);
    // Set before the handler runs: Hono copies prepared headers into the response it
    // builds, whereas setting them afterwards clones the finished response once per header.
    c.header("X-Request-Id", requestId);
    for (let i = 0; i < fixed.length; i++) {
      const [name, value] = fixed[i] as readonly [string, string];
      c.header(name, value);
    }
    await next();
    const headers = c.res.headers;
    if (!headers.has("X-Request-Id")) {
      // A response built outside Hono's helpers: add what is missing in one copy.
      const missing = securityHeaderList(requestId, hsts).filter(([name]) => !headers.has(name));
      c.res = new Response(c.res.body, c.res);
      for (const [name, value] of missing) c.res.headers.set(name, value);
    }
  });

  const limits = routers.limits ?? {};
  app.use("*", headerLimit(limits.headers ?? DEFAULT_HEADER_LIMITS));

  // A flood from one address is refused before it can take or wait for a slot; the open
  // routes (health, metrics, OpenAPI) and the dashboard are mounted after both, so they
  // are bounded too.
  if (limits.ip !== undefined) app.use("*", ipRateLimit(limits.ip));
  if (limits.shed !== undefined) app.use("*", loadShed(limits.shed));

  for (const open of routers.open) app.route("/", open);

  if (routers.ui !== undefined) {
    app.use(
      "/ui/*",
      bodyLimit(
        UI_MAX_BODY_BYTES,
        (c) => errorResponse(c, new HsmError("payload_too_large", "Request body exceeds 64 KiB")),
      ),
    );
    app.route("/", routers.ui);
  }

  app.use(
    "/api/*",
    bodyLimit(
      MAX_BODY_BYTES,
      (c) => errorResponse(c, new HsmError("payload_too_large", "Request body exceeds 1 MiB")),
    ),
  );
  app.use("/api/v1/*", bearerAuth(routers.authenticator));
  if (limits.actor !== undefined) app.use("/api/v1/*", actorRateLimit(limits.actor));
  for (const [path, router] of routers.api) app.route(`/api/v1${path}`, router);

  app.notFound((c) => errorResponse(c, new HsmError("not_found", "No such endpoint")));
  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      // Hono's own parse failures (malformed JSON, wrong content type).
      const code = err.status === 413 ? "payload_too_large" : "invalid_request";
      return errorResponse(c, new HsmError(code, "Invalid request body: expected JSON"));
    }
    return errorResponse(c, err);
  });
  return app;
}
