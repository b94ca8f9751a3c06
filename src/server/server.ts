/**
 * Starts the server: claims the data dir (exclusive lock: one data dir, one server) and
 * makes the SQLite database a private file, obtains the TLS certificate (ACME) when
 * configured, listens at once so `/readyz` can say `starting` (503) while the
 * self-tests, key checks and stores come up (every other request answers 503 until
 * then), builds the services, opens the PKCS#11 socket when configured, then serves the
 * app and starts the rotation scheduler. A failing step is a StartupError that says what
 * failed. Nothing is served before every
 * start-up step has passed.
 */

import type { Hono } from "hono";
import type { ServerConfig } from "../config/config_files.ts";
import type { AppEnv } from "../http/context.ts";
import type { Logger } from "../util/logger.ts";
import { buildApp, startingResponse } from "./app.ts";
import { registerConnectionMetrics } from "./connection_metrics.ts";
import { claimDataDir, prepareSqliteFiles } from "./data_dir.ts";
import { listen, type Listener } from "./listener.ts";
import { startupFailure } from "./startup_failure.ts";
import { type Pkcs11Server, startPkcs11Server } from "./pkcs11_socket.ts";
import { buildServices, type Services } from "./services.ts";
import { TlsManager } from "./tls/tls_manager.ts";

/** A running server. */
export interface RunningServer {
  /** The bound address, e.g. `http://127.0.0.1:8443`. */
  readonly url: string;
  /** Resolves when the server has stopped. */
  readonly finished: Promise<void>;
  /** Stops accepting requests, drains, flushes the audit log and closes stores. */
  shutdown(): Promise<void>;
  /**
   * Re-reads the configuration files (SIGHUP). On any failure (an unsigned or badly
   * signed file under `--config-public-key`, a parse error) the last good configuration
   * stays in force and the refusal is logged as an error; resolves to whether the new
   * configuration was installed.
   */
  reload(): Promise<boolean>;
  /** Re-reads the certificate files, or renews the ACME certificate, now (SIGHUP). */
  reloadCertificates(): Promise<void>;
}

/**
 * Starts the server described by `config`. With `--tls-client-ca` it listens through
 * node:https and requires a client certificate from that CA. The caller announces
 * `listening on <url>` once this resolves (ready).
 */
export async function startServer(config: ServerConfig, log: Logger): Promise<RunningServer> {
  let ready = false;
  const serving: { app?: Hono<AppEnv> } = {};
  const started = Date.now();
  const claim = await claimDataDir(config);
  let certificates: TlsManager | undefined;
  let server: Listener;
  let services: Services;
  let pkcs11: Pkcs11Server | undefined;
  try {
    // The certificate comes first: an ACME order must complete before TLS can listen.
    certificates = await TlsManager.open(config, log);
    server = await listen(
      config,
      (req, env) => serving.app?.fetch(req, env) ?? startingResponse(req, started),
      certificates,
    );
    certificates?.start(server.certificates);
    try {
      await prepareSqliteFiles(config);
      services = await buildServices(config, log, { tls: certificates });
      pkcs11 = await startPkcs11Server(services, config, log).catch(async (err) => {
        await services.close();
        throw err;
      });
    } catch (err) {
      await server.shutdown();
      throw startupFailure(err, "start");
    }
  } catch (err) {
    await certificates?.close();
    claim.release();
    throw err;
  }
  registerConnectionMetrics(services.metrics, () => server.stats());
  serving.app = buildApp(services, config, () => ready, started, () => server.stats());
  ready = true;
  services.scheduler.start();
  log.log("info", "server started", {
    url: server.url,
    key_store: config.keyStore,
    ...(config.tlsClientCa === undefined ? {} : { client_certificates: "required" }),
  });
  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    finished: server.finished,
    async reload() {
      try {
        await services.reload();
      } catch (err) {
        log.log("error", "configuration reload REFUSED: keeping the last good configuration", {
          error: err instanceof Error ? err.message : String(err),
        });
        return false;
      }
      log.log("info", "configuration reloaded", { signed: services.live.files.signed.length });
      return true;
    },
    shutdown() {
      stopping ??= (async () => {
        ready = false;
        try {
          await server.shutdown();
          await certificates?.close();
          await pkcs11?.close();
          await services.close();
        } finally {
          claim.release();
        }
      })();
      return stopping;
    },
    async reloadCertificates() {
      await certificates?.reload();
    },
  };
}
