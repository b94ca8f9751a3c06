/**
 * Starts the server: listens at once so `/readyz` can say `starting` (503) while the
 * self-tests, key checks and stores come up (every other request answers 503 until
 * then), builds the services, opens the PKCS#11 socket when configured, then serves the
 * app and starts the rotation scheduler. Nothing is served before every
 * start-up step has passed.
 */

import type { Hono } from "hono";
import type { ServerConfig } from "../config/config_files.ts";
import type { AppEnv } from "../http/context.ts";
import type { Logger } from "../util/logger.ts";
import { buildApp, startingResponse } from "./app.ts";
import { listen } from "./listener.ts";
import { type Pkcs11Server, startPkcs11Server } from "./pkcs11_socket.ts";
import { buildServices, type Services } from "./services.ts";

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
 */
export async function startServer(config: ServerConfig, log: Logger): Promise<RunningServer> {
  let ready = false;
  const serving: { app?: Hono<AppEnv> } = {};
  const started = Date.now();
  const server = await listen(
    config,
    (req, env) => serving.app?.fetch(req, env) ?? startingResponse(req, started),
  );
  let services: Services;
  let pkcs11: Pkcs11Server | undefined;
  try {
    services = await buildServices(config, log);
    pkcs11 = await startPkcs11Server(services, config, log).catch(async (err) => {
      await services.close();
      throw err;
    });
  } catch (err) {
    await server.shutdown();
    throw err;
  }
  serving.app = buildApp(services, config, () => ready, started);
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
    shutdown() {
      stopping ??= (async () => {
        ready = false;
        await server.shutdown();
        await pkcs11?.close();
        await services.close();
      })();
      return stopping;
    },
  };
}
