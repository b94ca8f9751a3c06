/**
 * Optional bearer authentication for open routes that show more to authenticated
 * callers (`/healthz`): a valid token (of any role, certificate binding included) sets
 * `actor`; no token, or a token that fails, leaves the request anonymous instead of
 * answering 401, so probes without credentials keep working. Failures still reach the
 * authenticator's observers (metrics) exactly as on the API.
 */

import type { MiddlewareHandler } from "hono";
import { isHsmError } from "../domain/errors.ts";
import { type Authenticator, bearerAuth } from "./auth_middleware.ts";
import type { AppEnv } from "./context.ts";

/** Sets `actor` when the request carries a valid bearer token; never refuses. */
export function optionalBearerAuth(authenticator: Authenticator): MiddlewareHandler<AppEnv> {
  const strict = bearerAuth(authenticator);
  return async function optionalBearerAuthMiddleware(c, next) {
    if (c.req.header("Authorization") !== undefined) {
      try {
        await strict(c, () => Promise.resolve());
      } catch (err) {
        if (!isHsmError(err, "unauthenticated")) throw err;
      }
    }
    await next();
  };
}
