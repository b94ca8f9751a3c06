/**
 * Middleware of the Transit bridge: Vault-style token authentication and the
 * translation of the shared limit middleware's FerroHSM error bodies into Vault's.
 *
 * The token is a FerroHSM JWT, taken from `X-Vault-Token` (what Vault clients send) or
 * `Authorization: Bearer`; it is verified exactly as on `/api/v1` (same verifier, same
 * RFC 8705 certificate binding). Every failure answers Vault's 403 `permission denied`,
 * whatever was wrong with the credential.
 */

import type { MiddlewareHandler } from "hono";
import { HsmError } from "../domain/errors.ts";
import {
  type Authenticator,
  certificateBindingHolds,
  withRequestFacts,
} from "../http/auth_middleware.ts";
import type { AppEnv } from "../http/context.ts";
import { vaultErrorFromBody } from "./vault_http.ts";

const TOKEN_RE = /^[A-Za-z0-9._~+/=-]{1,8192}$/;
const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

/** The token of a request: `X-Vault-Token`, else a bearer token; undefined when neither. */
export function vaultToken(headers: {
  get(name: string): string | null;
}): string | undefined {
  const vault = headers.get("X-Vault-Token");
  if (vault !== null) return TOKEN_RE.test(vault) ? vault : undefined;
  return BEARER.exec(headers.get("Authorization") ?? "")?.[1];
}

/** Authenticates Transit requests and stores the caller as `actor`. */
export function vaultTokenAuth(authenticator: Authenticator): MiddlewareHandler<AppEnv> {
  return async function vaultTokenAuthMiddleware(c, next) {
    const token = vaultToken(c.req.raw.headers);
    if (token === undefined) throw new HsmError("unauthenticated", "Missing client token");
    const principal = await authenticator.verify(token);
    if (
      principal.cnfX5tS256 !== undefined &&
      !certificateBindingHolds(principal.cnfX5tS256, c.get("clientCertThumbprint"))
    ) {
      authenticator.reportFailure?.("certificate_mismatch");
      throw new HsmError("unauthenticated", "Certificate binding does not hold");
    }
    const actor = { id: principal.sub, roles: principal.roles, requestId: c.get("requestId") };
    c.set("actor", withRequestFacts(actor, c));
    await next();
  };
}

/**
 * Rewrites an answer carrying FerroHSM's error body (the shared rate-limit, load-shed
 * and body-limit middleware answer those) as Vault's `{"errors": [...]}`, keeping
 * headers such as `Retry-After`. Answers already in Vault's shape pass untouched.
 */
export function vaultErrorBodies(): MiddlewareHandler<AppEnv> {
  return async function vaultErrorBodiesMiddleware(c, next) {
    await next();
    if (c.res.status < 400) return;
    if (!(c.res.headers.get("Content-Type") ?? "").startsWith("application/json")) return;
    const body: unknown = await c.res.clone().json().catch(() => undefined);
    const translated = vaultErrorFromBody(body);
    if (translated === undefined) return;
    const headers = new Headers(c.res.headers);
    headers.delete("Content-Length");
    headers.delete("WWW-Authenticate");
    c.res = new Response(JSON.stringify({ errors: translated.errors }), {
      status: translated.status,
      headers,
    });
  };
}
