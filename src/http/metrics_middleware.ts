/**
 * HTTP instrumentation: a middleware, mounted first, that records every answered
 * request by its matched route pattern (e.g. `/api/v1/keys/:id/sign`), method, status
 * and duration; and an Authenticator wrapper that counts refused tokens by reason.
 *
 * Security caveats: the raw path never becomes a label (an attacker could mint
 * unbounded series and plant text in the exposition); requests that match no endpoint
 * are recorded as route `unmatched`, and unknown methods as `other`. The failure
 * reason is recorded for operators only and never reaches the client.
 */

import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { JwtFailure } from "../auth/jwt.ts";
import type { Authenticator } from "./auth_middleware.ts";
import type { AppEnv } from "./context.ts";

/** Where request figures go (FerroHsmMetrics implements it). */
export interface HttpRequestObserver {
  httpRequest(route: string, method: string, status: number, seconds: number): void;
}

/** The route label of a request that matched no endpoint. */
export const UNMATCHED_ROUTE = "unmatched";

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Creates the request-metrics middleware; `now` is a monotonic clock in milliseconds. */
export function httpMetrics(
  observer: HttpRequestObserver,
  now: () => number = () => performance.now(),
): MiddlewareHandler<AppEnv> {
  return async function httpMetricsMiddleware(c, next) {
    const started = now();
    let threw = true;
    try {
      await next();
      threw = false;
    } finally {
      // Hono turns thrown errors into c.res via onError; an escaping error is a 500.
      const status = threw ? 500 : c.res.status;
      const method = METHODS.has(c.req.method) ? c.req.method : "other";
      observer.httpRequest(routeLabel(c, status), method, status, (now() - started) / 1000);
    }
  };
}

/**
 * The route pattern that answered: the matched endpoint's pattern (also when a
 * middleware such as authentication answered first), a middleware pattern for a
 * non-404 answer without an endpoint, otherwise `unmatched`.
 */
export function routeLabel(c: Context, status: number): string {
  let routes: { method: string; path: string }[];
  try {
    routes = matchedRoutes(c);
  } catch {
    return UNMATCHED_ROUTE;
  }
  const current = routes[c.req.routeIndex];
  const endpoint = current !== undefined && current.method !== "ALL"
    ? current
    : routes.find((r) => r.method !== "ALL");
  if (endpoint !== undefined) return endpoint.path;
  if (status === 404) return UNMATCHED_ROUTE;
  return current?.path ?? UNMATCHED_ROUTE;
}

/** Wraps an authenticator so every refused token is reported with its reason. */
export function observeAuthFailures(
  authenticator: Authenticator,
  onFailure: (reason: string) => void,
): Authenticator {
  return {
    async verify(token) {
      try {
        return await authenticator.verify(token);
      } catch (err) {
        onFailure(err instanceof JwtFailure ? err.reason : "other");
        throw err;
      }
    },
    reportFailure: onFailure,
  };
}
