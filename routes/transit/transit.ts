/**
 * The Vault Transit bridge under `/v1/transit`: its own gate (per-address rate limit,
 * concurrency bound, 1 MiB body limit, Vault-style token authentication, per-actor rate
 * limit, the same limiters as `/api`), the Transit routers, a 404 for paths Transit
 * does not offer, and one error renderer answering Vault's `{"errors": [...]}`.
 * Everything a key is involved in goes through KeyService/CryptoService: the same
 * Guard, RBAC, policies and audit as `/api/v1`. See docs/transit.md.
 */

import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { HsmError } from "../../src/domain/errors.ts";
import { MAX_BODY_BYTES } from "../../src/http/app.ts";
import type { Authenticator } from "../../src/http/auth_middleware.ts";
import type { AppEnv } from "../../src/http/context.ts";
import { actorRateLimit } from "../../src/http/limits_middleware.ts";
import { bodyLimit } from "../../src/http/body_limit.ts";
import type { RateLimiter } from "../../src/http/rate_limiter.ts";
import type { CryptoService } from "../../src/keys/crypto_service.ts";
import type { KeyService } from "../../src/keys/key_service.ts";
import { TransitKeys } from "../../src/transit/transit_keys.ts";
import { vaultError } from "../../src/transit/vault_http.ts";
import { vaultErrorBodies, vaultTokenAuth } from "../../src/transit/vault_middleware.ts";
import { transitEncryptionRoutes } from "./encryption.ts";
import { transitKeysRoutes } from "./keys.ts";
import { transitRandomRoutes } from "./random.ts";
import { transitSigningRoutes } from "./signing.ts";

/** What the Transit bridge is built from (the composition root supplies it). */
export interface TransitOptions {
  readonly keys: KeyService;
  readonly crypto: CryptoService;
  readonly authenticator: Authenticator;
  /** Counts key writes in this process (`ListCache.generation`): name lookups stay valid until one. */
  readonly keyWrites: () => number;
  /** The per-actor limit (the app applies the per-address limit and concurrency bound). */
  readonly limits?: { readonly actor?: RateLimiter };
}

/** The Transit application; mount it with `app.route("/v1/transit", ...)`. */
export function transitRoutes(options: TransitOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const limits = options.limits ?? {};
  app.use("*", vaultErrorBodies());
  // The per-address limit and the concurrency bound are the app's (they cover every
  // route); the body limit, token and per-actor limit are this gate's.
  app.use(
    "*",
    bodyLimit(MAX_BODY_BYTES, () => {
      throw new HsmError("payload_too_large", "Request body exceeds 1 MiB");
    }),
  );
  app.use("*", vaultTokenAuth(options.authenticator));
  if (limits.actor !== undefined) app.use("*", actorRateLimit(limits.actor));

  const services = {
    keys: options.keys,
    crypto: options.crypto,
    names: new TransitKeys(options.keys, options.keyWrites),
  };
  app.route("/", transitKeysRoutes(services));
  app.route("/", transitEncryptionRoutes(services));
  app.route("/", transitSigningRoutes(services));
  app.route("/", transitRandomRoutes());
  app.all("*", (c) => c.json({ errors: ["unsupported path"] }, 404));

  app.onError((err, c) => {
    const e = err instanceof HTTPException
      ? new HsmError(
        err.status === 413 ? "payload_too_large" : "invalid_request",
        "Invalid request",
      )
      : err;
    const { status, errors } = vaultError(e);
    // deno-lint-ignore no-explicit-any -- statuses come from the Vault mapping table
    return c.json({ errors }, status as any);
  });
  return app;
}
