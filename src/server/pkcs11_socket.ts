/**
 * Starts the PKCS#11 socket of `ferrohsm serve --pkcs11-socket PATH`: the service
 * backend over the server's own services (same RBAC, audit and per-actor rate limit as
 * the API), the dispatcher with the installation id as token serial, and the unix
 * socket listener. Token files for `file:` PINs live in `--pkcs11-token-dir` (default
 * `<data-dir>/pkcs11-tokens`, created 0700 when absent).
 */

import { join } from "node:path";
import type { JwtVerifier } from "../auth/jwt.ts";
import { EXIT, StartupError } from "./startup_error.ts";
import type { Config } from "../config/config.ts";
import { HsmError } from "../domain/errors.ts";
import type { RateLimiter } from "../http/rate_limiter.ts";
import type { CryptoService } from "../keys/crypto_service.ts";
import type { KeyService } from "../keys/key_service.ts";
import type { Logger } from "../util/logger.ts";
import { Pkcs11Dispatcher } from "../pkcs11/dispatcher.ts";
import { loadInstallationId } from "../pkcs11/installation_id.ts";
import { ServiceBackend } from "../pkcs11/service_backend.ts";
import { Pkcs11SocketServer } from "../pkcs11/socket_server.ts";

/** The services the PKCS#11 socket uses (a subset of the server's `Services`). */
export interface Pkcs11Services {
  readonly keys: KeyService;
  readonly crypto: CryptoService;
  readonly verifier: JwtVerifier;
  readonly limits: { readonly actor: RateLimiter };
  readonly metrics?: { jwtFailure(reason: string): void };
}

/** A running PKCS#11 socket. */
export interface Pkcs11Server {
  readonly path: string;
  close(): Promise<void>;
}

/** The token directory of a config. */
export function pkcs11TokenDir(config: Pick<Config, "dataDir" | "pkcs11TokenDir">): string {
  return config.pkcs11TokenDir ?? join(config.dataDir, "pkcs11-tokens");
}

/**
 * Starts the socket when `config.pkcs11Socket` is set; undefined otherwise.
 * @throws StartupError(EXIT.usage) when the socket cannot be created safely
 */
export async function startPkcs11Server(
  services: Pkcs11Services,
  config: Pick<Config, "dataDir" | "pkcs11Socket" | "pkcs11TokenDir">,
  log: Logger,
): Promise<Pkcs11Server | undefined> {
  const path = config.pkcs11Socket;
  if (path === undefined) return undefined;
  const tokenDir = pkcs11TokenDir(config);
  if (config.pkcs11TokenDir === undefined) {
    await Deno.mkdir(tokenDir, { recursive: true, mode: 0o700 });
  }
  const serial = await loadInstallationId(config.dataDir);
  const backend = new ServiceBackend({
    keys: services.keys,
    crypto: services.crypto,
    verifier: services.verifier,
    limiter: services.limits.actor,
    tokenDir,
    log,
    onAuthFailure: (reason) => services.metrics?.jwtFailure(reason),
  });
  const dispatcher = new Pkcs11Dispatcher(backend, { serial, log });
  let server: Pkcs11SocketServer;
  try {
    server = await Pkcs11SocketServer.listen(dispatcher, { path, log });
  } catch (err) {
    if (err instanceof HsmError || err instanceof Deno.errors.PermissionDenied) {
      throw new StartupError(EXIT.usage, err instanceof Error ? err.message : String(err));
    }
    throw err;
  }
  log.log("info", "pkcs11 socket listening", { path, serial, token_dir: tokenDir });
  return server;
}
