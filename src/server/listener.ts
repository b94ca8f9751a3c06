/**
 * The network listener, with a connection bound and slow-client timeouts on every
 * variant (`Deno.serve` alone has neither):
 *
 * - plain HTTP: connections accepted here and served one by one by Deno's HTTP server
 *   (`src/http/connection_server.ts`), closed when their deadline passes;
 * - TLS (`--tls-cert/--tls-key`), or plain HTTP on a Deno without that internal
 *   function: the TCP front (`src/http/tcp_front.ts`) owns the public address and
 *   relays to `Deno.serve` on a private Unix socket in the data dir (0700, claimed by
 *   this process);
 * - mutual TLS (`--tls-client-ca`): `node:https`, which can require client certificates.
 *
 * Every TLS variant can swap its certificate while serving (ACME renewals, certificate
 * files changed on disk: `src/server/tls/`), since both fronts are node:tls servers.
 *
 * Listen failures are StartupErrors that say what failed in words.
 */

import type { Config } from "../config/config.ts";
import { toHex } from "../core/encoding.ts";
import { type ConnectionLimits, connectionLimitsFor } from "../http/connection_limits.ts";
import { connectionServerAvailable, serveConnections } from "../http/connection_server.ts";
import type { ConnectionBindings } from "../http/context.ts";
import { serveNode } from "../http/node_server.ts";
import { peerAddress, TcpFront, type TcpFrontStats } from "../http/tcp_front.ts";
import { httpSocketPath } from "./socket_path.ts";
import { EXIT, StartupError } from "./startup_error.ts";
import { readFlagFile } from "./flag_files.ts";
import { startupFailure } from "./startup_failure.ts";
import type { CertificateTarget, TlsManager } from "./tls/tls_manager.ts";

/** A bound listener. */
export interface Listener {
  /** The bound address, e.g. `http://127.0.0.1:8443`. */
  readonly url: string;
  readonly finished: Promise<void>;
  /** Swaps the certificate while serving (TLS listeners only). */
  readonly certificates?: CertificateTarget;
  /** Connection counters (undefined for the node:https listener). */
  stats(): ListenerStats | undefined;
  shutdown(): Promise<void>;
}

/** Connection counters of the listener. */
export type ListenerStats = Pick<TcpFrontStats, "open" | "accepted" | "refused" | "timedOut">;

/** A request handler given the connection bindings (client address...) as Hono `env`. */
export type Handler = (req: Request, env: ConnectionBindings) => Response | Promise<Response>;

/** Longest Unix socket path Linux accepts (108 bytes with the terminating NUL). */
const MAX_SOCKET_PATH = 107;

/** The connection limits of a config: its concurrency bounds plus headroom. */
export function listenerLimits(config: Config): ConnectionLimits {
  return connectionLimitsFor(config.maxConcurrent, config.maxQueue);
}

/**
 * Binds the configured address and serves `handler`. The data dir must be claimed by
 * this process (the Unix socket in it is replaced).
 * @throws StartupError naming the address or file that failed
 */
export async function listen(
  config: Config,
  handler: Handler,
  certificates?: TlsManager,
): Promise<Listener> {
  const tls = await readTls(config, certificates);
  const limits = listenerLimits(config);
  const address = `${config.host.includes(":") ? `[${config.host}]` : config.host}:${config.port}`;
  if (tls?.clientCa !== undefined) {
    try {
      const server = await serveNode({
        hostname: config.host,
        port: config.port,
        tls: { cert: tls.cert, key: tls.key, clientCa: tls.clientCa },
        limits,
      }, handler);
      return { ...server, stats: () => undefined, certificates: server };
    } catch (err) {
      throw listenFailure(err, address, true);
    }
  }
  if (tls === undefined && connectionServerAvailable()) {
    try {
      const server = serveConnections(
        { hostname: config.host, port: config.port, limits },
        (req, info) => handler(req, { clientAddress: info.remoteAddr.hostname }),
      );
      const { hostname, port } = server.addr;
      return {
        url: `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
        finished: server.finished,
        stats: () => server.stats(),
        shutdown: () => server.shutdown(),
      };
    } catch (err) {
      throw listenFailure(err, address, false);
    }
  }
  const socketPath = httpSocketPath(config.dataDir);
  if (new TextEncoder().encode(socketPath).length > MAX_SOCKET_PATH) {
    throw new StartupError(
      EXIT.usage,
      `Cannot listen: the data dir path is too long for the server's socket ${socketPath} ` +
        `(at most ${MAX_SOCKET_PATH} bytes)`,
    );
  }
  await Deno.remove(socketPath).catch(() => {});
  const secret = toHex(crypto.getRandomValues(new Uint8Array(16)));
  let inner: Deno.HttpServer<Deno.UnixAddr>;
  try {
    inner = Deno.serve(
      { path: socketPath, onListen() {} },
      (req) => handler(req, { clientAddress: peerAddress(req.headers, secret) ?? "unknown" }),
    );
  } catch (err) {
    throw startupFailure(err, `listen on ${socketPath}`);
  }
  let front: TcpFront;
  try {
    front = await TcpFront.listen({
      hostname: config.host,
      port: config.port,
      ...(tls === undefined ? {} : { tls: { cert: tls.cert, key: tls.key } }),
      upstreamPath: socketPath,
      limits,
      secret,
    });
  } catch (err) {
    await inner.shutdown();
    await Deno.remove(socketPath).catch(() => {});
    throw listenFailure(err, address, tls !== undefined);
  }
  const { hostname, port } = front.addr;
  const url = `${tls === undefined ? "http" : "https"}://${
    hostname.includes(":") ? `[${hostname}]` : hostname
  }:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    finished: inner.finished,
    stats: () => front.stats(),
    ...(tls === undefined ? {} : { certificates: front }),
    shutdown() {
      stopping ??= (async () => {
        front.stopAccepting();
        await inner.shutdown(); // lets in-flight requests finish
        await front.close();
        await Deno.remove(socketPath).catch(() => {});
      })();
      return stopping;
    },
  };
}

function listenFailure(err: unknown, address: string, tls: boolean): unknown {
  const code = typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
  // An address in use is usually transient (a previous instance still stopping): exit 1
  // so a supervisor retries; anything else is configuration (exit 2).
  const transient = err instanceof Deno.errors.AddrInUse || code === "EADDRINUSE";
  const failure = startupFailure(
    err,
    `listen on ${address}`,
    transient ? EXIT.failure : EXIT.usage,
  );
  if (failure !== err || !tls) return failure;
  // TLS material the runtime refused (bad PEM, key not matching the certificate).
  return new StartupError(
    EXIT.usage,
    `Cannot listen on ${address}: the TLS certificate or key was refused`,
    { cause: err },
  );
}

async function readTls(
  config: Config,
  certificates: TlsManager | undefined,
): Promise<{ cert: string; key: string; clientCa?: string } | undefined> {
  let cert: string, key: string;
  if (certificates !== undefined) {
    ({ cert, key } = certificates.current());
  } else {
    if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
    cert = await readFlagFile("--tls-cert", config.tlsCert);
    key = await readFlagFile("--tls-key", config.tlsKey);
  }
  if (config.tlsClientCa === undefined) return { cert, key };
  const clientCa = await readFlagFile("--tls-client-ca", config.tlsClientCa);
  if (!clientCa.includes("-----BEGIN CERTIFICATE-----")) {
    throw new StartupError(
      EXIT.usage,
      `Cannot start: --tls-client-ca ${config.tlsClientCa} holds no PEM certificate`,
    );
  }
  return { cert, key, clientCa };
}
