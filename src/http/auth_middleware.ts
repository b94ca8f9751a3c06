/**
 * Bearer-token authentication for API routes: verifies the JWT and stores the caller
 * as `actor`. Every failure answers the same 401 body with `WWW-Authenticate: Bearer`,
 * whatever was wrong with the credential.
 */

import type { MiddlewareHandler } from "hono";
import { HsmError } from "../core/errors.ts";
import type { AppEnv } from "./context.ts";

/** What the middleware needs from the JWT layer. */
export interface Authenticator {
  /** @throws HsmError("unauthenticated") for any bad credential */
  verify(token: string): Promise<{ readonly sub: string; readonly roles: readonly string[] }>;
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

/** Creates the authentication middleware. */
export function bearerAuth(authenticator: Authenticator): MiddlewareHandler<AppEnv> {
  return async function bearerAuthMiddleware(c, next) {
    const m = BEARER.exec(c.req.header("Authorization") ?? "");
    if (m === null) throw new HsmError("unauthenticated", "Invalid or expired credentials");
    const principal = await authenticator.verify(m[1] as string);
    c.set("actor", { id: principal.sub, roles: principal.roles });
    await next();
  };
}
