/**
 * The network listener: `Deno.serve` (plain HTTP, or TLS with `--tls-cert/--tls-key`),
 * or `node:https` when `--tls-client-ca` requires client certificates or the
 * certificate must be swappable while serving (ACME, `--tls-reload-interval`): Deno.serve
 * can do neither.
 */

import type { Config } from "../config/config.ts";
import { serveMutualTls } from "../http/node_server.ts";
import { EXIT, StartupError } from "./startup_error.ts";
import type { CertificateTarget, TlsManager } from "./tls/tls_manager.ts";

/** A bound listener. */
export interface Listener {
  /** The bound address, e.g. `http://127.0.0.1:8443`. */
  readonly url: string;
  readonly finished: Promise<void>;
  shutdown(): Promise<void>;
  /** Swaps the certificate (node:https listeners only). */
  readonly certificates?: CertificateTarget;
}

/** A request handler given the runtime's connection info as Hono `env`. */
export type Handler = (req: Request, env: unknown) => Response | Promise<Response>;

async function readTls(
  config: Config,
  certificates: TlsManager | undefined,
): Promise<{ cert: string; key: string; clientCa?: string } | undefined> {
  if (certificates === undefined) {
    if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
  }
  const cert = certificates?.current().cert ?? await Deno.readTextFile(config.tlsCert as string);
  const key = certificates?.current().key ?? await Deno.readTextFile(config.tlsKey as string);
  if (config.tlsClientCa === undefined) return { cert, key };
  const clientCa = await Deno.readTextFile(config.tlsClientCa);
  if (!clientCa.includes("-----BEGIN CERTIFICATE-----")) {
    throw new StartupError(
      EXIT.usage,
      `Cannot start: --tls-client-ca ${config.tlsClientCa} holds no PEM certificate`,
    );
  }
  return { cert, key, clientCa };
}

/**
 * Binds the configured address and serves `handler`, with the certificate of
 * `certificates` when given (a hot-reloading manager gets a node:https listener).
 */
export async function listen(
  config: Config,
  handler: Handler,
  certificates?: TlsManager,
): Promise<Listener> {
  const tls = await readTls(config, certificates);
  if (tls !== undefined && (tls.clientCa !== undefined || certificates?.hotReload === true)) {
    const server = await serveMutualTls({
      hostname: config.host,
      port: config.port,
      cert: tls.cert,
      key: tls.key,
      clientCa: tls.clientCa,
    }, handler);
    return { ...server, certificates: server };
  }
  const scheme = tls === undefined ? "http" : "https";
  let url = "";
  const server = Deno.serve({
    hostname: config.host,
    port: config.port,
    ...(tls ?? {}),
    onListen: ({ hostname, port }) => {
      const host = hostname.includes(":") ? `[${hostname}]` : hostname;
      url = `${scheme}://${host}:${port}`;
    },
  }, handler);
  return {
    get url() {
      return url;
    },
    finished: server.finished,
    shutdown: () => server.shutdown(),
  };
}
