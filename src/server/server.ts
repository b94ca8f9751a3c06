/**
 * Starts the server: claims the data dir (exclusive lock: one data dir, one server) and
 * makes the SQLite database a private file, listens at once so `/readyz` can say `starting` (503) while the
 * self-tests, key checks and stores come up (every other request answers 503 until
 * then), builds the services, then serves the app. Nothing is served before every
 * start-up step has passed; a failing step is a StartupError that says what failed.
 */

import type { Hono } from "hono";
import type { ServerConfig } from "../config/config_files.ts";
import type { AppEnv } from "../http/context.ts";
import type { Logger } from "../util/logger.ts";
import { buildApp, startingResponse } from "./app.ts";
import { registerConnectionMetrics } from "./connection_metrics.ts";
import { claimDataDir, prepareSqliteFiles } from "./data_dir.ts";
import { listen, type Listener } from "./listener.ts";
import { buildServices, type Services } from "./services.ts";
import { startupFailure } from "./startup_failure.ts";

/** A running server. */
export interface RunningServer {
  /** The bound address, e.g. `http://127.0.0.1:8443`. */
  readonly url: string;
  /** Resolves when the server has stopped. */
  readonly finished: Promise<void>;
  /** Stops accepting requests, drains, flushes the audit log and closes stores. */
  shutdown(): Promise<void>;
}

/**
 * Starts the server described by `config`. With `--tls-client-ca` it listens through
 * node:https and requires a client certificate from that CA. The caller announces
 * `listening on <url>` once this resolves (ready).
 * @throws StartupError with the exit code and a message naming what failed
 */
export async function startServer(config: ServerConfig, log: Logger): Promise<RunningServer> {
  let ready = false;
  const serving: { app?: Hono<AppEnv> } = {};
  const started = Date.now();
  const claim = await claimDataDir(config);
  let server: Listener;
  let services: Services;
  try {
    server = await listen(
      config,
      (req, env) => serving.app?.fetch(req, env) ?? startingResponse(req, started),
    );
    try {
      await prepareSqliteFiles(config);
      services = await buildServices(config, log);
    } catch (err) {
      await server.shutdown();
      throw startupFailure(err, "start");
    }
  } catch (err) {
    claim.release();
    throw err;
  }
  registerConnectionMetrics(services.metrics, () => server.stats());
  serving.app = buildApp(services, config, () => ready, started, () => server.stats());
  ready = true;
  log.log("info", "server started", {
    url: server.url,
    key_store: config.keyStore,
    ...(config.tlsClientCa === undefined ? {} : { client_certificates: "required" }),
  });
  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    finished: server.finished,
    shutdown() {
      stopping ??= (async () => {
        ready = false;
        try {
          await server.shutdown();
          await services.close();
        } finally {
          claim.release();
        }
      })();
      return stopping;
    },
  };
}
