/**
 * Per-request variables every router can read (`c.get("actor")`), declared once, and
 * the middleware that copies what the listener knows about the connection into them.
 * Caveat: connection facts come only from the listener's bindings, never from headers.
 */

import type { MiddlewareHandler } from "hono";
import type { Actor } from "../access/guard.ts";

/** What a listener tells the app about the connection (passed as Hono `env`). */
export interface ConnectionBindings {
  /** The TCP peer address. */
  readonly clientAddress: string;
  /** RFC 8705 `x5t#S256` of the verified client certificate (mutual TLS only). */
  readonly clientCertThumbprint?: string;
}

/** Hono environment of the FerroHSM app. */
export interface AppEnv {
  Variables: {
    /** The authenticated caller (set by the auth middleware on /api routes). */
    actor: Actor;
    /** Request id echoed in `X-Request-Id`. */
    requestId: string;
    /** The TCP peer address, when the listener gives it as a binding. */
    clientAddress?: string;
    /** The verified client certificate's `x5t#S256` (mutual TLS only). */
    clientCertThumbprint?: string;
  };
}

/** Copies ConnectionBindings from the Hono `env` into the request variables. */
export function connectionInfo(): MiddlewareHandler<AppEnv> {
  return async function connectionInfoMiddleware(c, next) {
    const env = c.env as Partial<Record<keyof ConnectionBindings, unknown>> | undefined;
    if (typeof env?.clientAddress === "string") c.set("clientAddress", env.clientAddress);
    if (typeof env?.clientCertThumbprint === "string") {
      c.set("clientCertThumbprint", env.clientCertThumbprint);
    }
    await next();
  };
}
