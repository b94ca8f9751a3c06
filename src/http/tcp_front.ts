/**
 * The TCP (or TLS) front of `Deno.serve`. `Deno.serve` has no header-read timeout, no
 * idle timeout and no connection bound (measured on Deno 2.9.6: a client that sends
 * half a request line, or nothing, holds its socket forever), so the public address is
 * served here and every connection is relayed, byte for byte, to the HTTP server on a
 * private Unix socket. The front owns what `Deno.serve` lacks:
 *
 * - a bound on open connections (one over it is closed as soon as it is accepted);
 * - the head of each request must arrive within `headersTimeoutMs` of its first byte
 *   (of the connection, for the first request; a TLS handshake has the same time);
 * - a request body must arrive within `requestTimeoutMs` of the request's first byte;
 * - a keep-alive connection is closed after `keepAliveTimeoutMs` without a request
 *   (counted from the last answer bytes); while the server works on a request nothing
 *   times out.
 *
 * TLS is terminated with `node:tls`: a TLS connection `Deno.listenTls` accepted cannot be
 * closed before its handshake ends (Deno 2.9.6 keeps the socket open after `close()`),
 * so a silent client would hold a descriptor forever. Request framing
 * (`request_framing.ts`) follows each request; after every request line it inserts
 * `X-FerroHSM-Peer: <secret> <address>`, because the server behind sees only the Unix
 * socket. The secret is random per process and never leaves it, so a client cannot
 * forge its address with its own header (`peerAddress` checks it). A connection the
 * framing cannot follow (ambiguous length, HTTP/2 preface, oversized head) is answered
 * 400 and closed. Caveats: no HTTP/2 (ALPN offers `http/1.1` only); a client that
 * pipelines requests may see its idle timer start while later answers are computed.
 */

import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import type { Socket } from "node:net";
import { type ClientStream, closeQuietly, denoClient, nodeClient } from "./client_stream.ts";
import type { ConnectionLimits } from "./connection_limits.ts";
import { FrontConnection, PEER_HEADER } from "./front_connection.ts";

export { PEER_HEADER };

/** Where the front listens and where it relays to. */
export interface TcpFrontOptions {
  readonly hostname: string;
  readonly port: number;
  /** PEM certificate chain and key: the front terminates TLS (≥ 1.2, ALPN `http/1.1`). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** The Unix socket of the HTTP server behind. */
  readonly upstreamPath: string;
  readonly limits: ConnectionLimits;
  /** The secret that authenticates the inserted peer header (random per process). */
  readonly secret: string;
  /** Time in milliseconds (monotonic); default `performance.now`. */
  readonly clock?: () => number;
}

/** Counters of the front. */
export interface TcpFrontStats {
  /** Connections open now. */
  readonly open: number;
  /** Connections accepted since start. */
  readonly accepted: number;
  /** Connections closed at once because `maxConnections` were open. */
  readonly refused: number;
  /** Connections closed for a handshake, header, request or idle timeout. */
  readonly timedOut: number;
  /** Connections closed because their requests could not be framed. */
  readonly malformed: number;
  /** TLS handshakes that failed or did not finish within the headers timeout. */
  readonly handshakeFailures: number;
}

/**
 * The client address of a request relayed by a front with `secret`, or undefined when
 * the request did not come through it.
 */
export function peerAddress(headers: Headers, secret: string): string | undefined {
  const value = headers.get(PEER_HEADER);
  if (value === null) return undefined;
  // The front's line comes first; a client's own copies are joined after a comma.
  const first = value.split(",", 1)[0]?.trim() ?? "";
  const space = first.indexOf(" ");
  if (space < 0 || first.slice(0, space) !== secret) return undefined;
  return first.slice(space + 1);
}

/** A listening front. */
export class TcpFront {
  readonly #options: TcpFrontOptions;
  readonly #clock: () => number;
  readonly #connections = new Set<FrontConnection>();
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #addr: Deno.NetAddr;
  readonly #stop: () => Promise<void>;
  readonly #tlsServer: TlsServer | undefined;
  #open = 0;
  #accepted = 0;
  #refused = 0;
  #timedOut = 0;
  #malformed = 0;
  #handshakeFailures = 0;
  #closed = false;
  #stopping: Promise<void> | undefined;

  private constructor(
    options: TcpFrontOptions,
    listen: (front: TcpFront) => { addr: Deno.NetAddr; stop: () => Promise<void> },
    tlsServer?: TlsServer,
  ) {
    this.#options = options;
    this.#tlsServer = tlsServer;
    this.#clock = options.clock ?? (() => performance.now());
    const { addr, stop } = listen(this);
    this.#addr = addr;
    this.#stop = stop;
    this.#timer = setInterval(() => this.#sweep(), options.limits.checkIntervalMs);
  }

  /**
   * Binds the address and starts relaying.
   * @throws the runtime's listen error (e.g. Deno.errors.AddrInUse, a node `EADDRINUSE`)
   * or a TLS configuration error
   */
  static async listen(options: TcpFrontOptions): Promise<TcpFront> {
    if (options.tls === undefined) {
      const listener = Deno.listen({
        hostname: options.hostname,
        port: options.port,
        transport: "tcp",
      });
      return new TcpFront(options, (front) => {
        const accepting = front.#acceptLoop(listener);
        return {
          addr: listener.addr,
          stop: async () => {
            try {
              listener.close();
            } catch {
              // already closed
            }
            await accepting;
          },
        };
      });
    }
    const server = createTlsServer({
      cert: options.tls.cert,
      key: options.tls.key,
      minVersion: "TLSv1.2",
      ALPNProtocols: ["http/1.1"],
      handshakeTimeout: options.limits.headersTimeoutMs,
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.hostname, () => {
        server.off("error", reject);
        server.on("error", () => {});
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === "string") {
      server.close();
      throw new TypeError("node:tls returned no TCP address");
    }
    return new TcpFront(options, (front) => {
      front.#serveTls(server);
      return {
        addr: { transport: "tcp", hostname: address.address, port: address.port },
        stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    }, server);
  }

  /**
   * Serves a new certificate chain and key to new TLS handshakes (ACME renewals,
   * certificate files changed on disk); open connections keep theirs.
   * @throws TypeError without TLS; the TLS error when the pair is unusable (the old stays)
   */
  setCertificate(cert: string, key: string): void {
    if (this.#tlsServer === undefined) throw new TypeError("This front serves no TLS");
    this.#tlsServer.setSecureContext({ cert, key, minVersion: "TLSv1.2" });
  }

  /** The bound address. */
  get addr(): Deno.NetAddr {
    return this.#addr;
  }

  /** Connection counters. */
  stats(): TcpFrontStats {
    return {
      open: this.#open,
      accepted: this.#accepted,
      refused: this.#refused,
      timedOut: this.#timedOut,
      malformed: this.#malformed,
      handshakeFailures: this.#handshakeFailures,
    };
  }

  /** Stops accepting connections; those open stay until `close`. */
  stopAccepting(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopping = this.#stop();
  }

  /** Stops accepting and closes every connection. */
  async close(): Promise<void> {
    this.stopAccepting();
    clearInterval(this.#timer);
    for (const c of this.#connections) c.close();
    await this.#stopping;
  }

  /** Admits a new connection unless the bound is reached. */
  #admit(): boolean {
    this.#accepted++;
    if (this.#open >= this.#options.limits.maxConnections || this.#closed) {
      this.#refused++;
      return false;
    }
    this.#open++;
    return true;
  }

  /** Relays `client`; `ownsSlot`: release the connection slot when the relay ends. */
  #relay(client: ClientStream, peer: string, ownsSlot: boolean): void {
    const connection = new FrontConnection(client, peer, this.#options, this.#clock);
    this.#connections.add(connection);
    connection.run().then((outcome) => {
      this.#connections.delete(connection);
      if (ownsSlot) this.#open--;
      if (outcome === "malformed") this.#malformed++;
    });
  }

  async #acceptLoop(listener: Deno.Listener): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (this.#closed || err instanceof Deno.errors.BadResource) return;
        // A failed accept (e.g. out of descriptors) must not stop the server.
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      if (!this.#admit()) {
        closeQuietly(conn);
        continue;
      }
      try {
        (conn as Deno.TcpConn).setNoDelay(true); // small answers must not wait for Nagle
      } catch {
        // not a TCP connection
      }
      this.#relay(denoClient(conn), (conn.remoteAddr as Deno.NetAddr).hostname, true);
    }
  }

  #serveTls(server: TlsServer): void {
    // A socket holds a slot from its TCP accept to its close: a handshake in progress
    // counts, and node's handshake timeout ends a silent one.
    server.on("connection", (socket: Socket) => {
      if (!this.#admit()) {
        socket.destroy();
        return;
      }
      socket.once("close", () => this.#open--);
    });
    server.on("tlsClientError", (_err: unknown, socket: Socket) => {
      this.#handshakeFailures++;
      socket.destroy();
    });
    server.on("secureConnection", (socket: Socket) => {
      socket.setNoDelay(true);
      this.#relay(nodeClient(socket), socket.remoteAddress ?? "unknown", false);
    });
  }

  #sweep(): void {
    const now = this.#clock();
    for (const c of this.#connections) {
      if (c.deadline <= now) {
        this.#timedOut++;
        c.timeOut();
      }
    }
  }
}
