/**
 * Bearer-token authentication for API routes: verifies the JWT and stores the caller
 * as `actor`. A token bound to a client certificate (RFC 8705 `cnf["x5t#S256"]`) is
 * accepted only on a mutual-TLS connection whose verified certificate has that
 * thumbprint (compared in constant time). Every failure answers the same 401 body with
 * `WWW-Authenticate: Bearer`, whatever was wrong with the credential.
 */

import type { Context, MiddlewareHandler } from "hono";
import type { Actor, RequestChannel, RequestFacts } from "../access/guard.ts";
import { HsmError } from "../domain/errors.ts";
import { utf8 } from "../core/encoding.ts";
import { timingSafeEqual } from "../core/zeroize.ts";
import type { Role } from "../access/rbac.ts";
import type { AppEnv } from "./context.ts";

/** What the middleware needs from the JWT layer. */
export interface Authenticator {
  /** @throws HsmError("unauthenticated") for any bad credential */
  verify(token: string): Promise<{
    readonly sub: string;
    readonly roles: readonly Role[];
    /** RFC 8705 certificate thumbprint the token is bound to, if any. */
    readonly cnfX5tS256?: string;
  }>;
  /** Told about refusals decided outside `verify` (a certificate binding that fails). */
  reportFailure?(reason: string): void;
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;
const UNAUTHENTICATED = "Invalid or expired credentials";

/**
 * True when a token bound to `expected` may be used on a connection whose client
 * certificate thumbprint is `presented` (undefined: no client certificate).
 */
export function certificateBindingHolds(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(utf8(expected), utf8(presented));
}

/** Creates the authentication middleware. */
export function bearerAuth(authenticator: Authenticator): MiddlewareHandler<AppEnv> {
  return async function bearerAuthMiddleware(c, next) {
    const m = BEARER.exec(c.req.header("Authorization") ?? "");
    if (m === null) throw new HsmError("unauthenticated", UNAUTHENTICATED);
    const principal = await authenticator.verify(m[1] as string);
    if (
      principal.cnfX5tS256 !== undefined &&
      !certificateBindingHolds(principal.cnfX5tS256, c.get("clientCertThumbprint"))
    ) {
      authenticator.reportFailure?.("certificate_mismatch");
      throw new HsmError("unauthenticated", UNAUTHENTICATED);
    }
    const actor = { id: principal.sub, roles: principal.roles, requestId: c.get("requestId") };
    c.set("actor", withRequestFacts(actor, c));
    await next();
  };
}

/**
 * The actor with the request's facts for policy scripts (arrival time, peer address,
 * body size from `Content-Length`, channel, client certificate). Built lazily, on the
 * first read: requests that meet no policy never pay for it. `via` is `rest` for the API
 * and the Vault Transit bridge, `ui` for the dashboard.
 */
export function withRequestFacts<E extends AppEnv>(
  actor: Actor,
  c: Context<E>,
  via: RequestChannel = "rest",
): Actor {
  const arrived = Date.now();
  let facts: RequestFacts | undefined;
  return {
    ...actor,
    get facts(): RequestFacts {
      if (facts === undefined) {
        const size = Number(c.req.header("Content-Length") ?? "0");
        const thumbprint = c.get("clientCertThumbprint");
        facts = {
          time: new Date(arrived),
          clientIp: c.get("clientAddress") ?? "",
          size: Number.isSafeInteger(size) && size >= 0 ? size : 0,
          via,
          ...(thumbprint === undefined ? {} : { certThumbprint: thumbprint }),
        };
      }
      return facts;
    },
  };
}
