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
import type { ConnectionLimits } from "./connection_limits.ts";
import { FramingError, type FramingEvents, RequestFraming } from "./request_framing.ts";

/** The header the front inserts into every request. */
export const PEER_HEADER = "x-ferrohsm-peer";

/** Largest request head the front relays (the app refuses more than 16 KiB itself). */
const MAX_HEAD_BYTES = 64 * 1024;
const BUFFER_BYTES = 64 * 1024;
const BAD_REQUEST = new TextEncoder().encode(
  "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
);
const TIMEOUT = new TextEncoder().encode(
  "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
);

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

/** The client side of a relayed connection, over a Deno TCP connection or a node socket. */
interface ClientStream {
  /** The next bytes (valid until the next call), or null at the end. */
  read(): Promise<Uint8Array | null>;
  write(data: Uint8Array): Promise<void>;
  close(): void;
}

/** A listening front. */
export class TcpFront {
  readonly #options: TcpFrontOptions;
  readonly #clock: () => number;
  readonly #connections = new Set<FrontConnection>();
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #addr: Deno.NetAddr;
  readonly #stop: () => Promise<void>;
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
  ) {
    this.#options = options;
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
    });
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

type Outcome = "closed" | "malformed";

/** One relayed client connection and its deadline. */
class FrontConnection implements FramingEvents {
  readonly #client: ClientStream;
  readonly #options: TcpFrontOptions;
  readonly #clock: () => number;
  readonly #framing: RequestFraming;
  #upstream: Deno.Conn | undefined;
  #now = 0;
  #requestStart = 0;
  /** A request has arrived completely and its answer has not started. */
  #awaiting = false;
  #closed = false;
  /** When the connection times out (monotonic milliseconds). */
  deadline: number;

  constructor(client: ClientStream, peer: string, options: TcpFrontOptions, clock: () => number) {
    this.#client = client;
    this.#options = options;
    this.#clock = clock;
    this.deadline = clock() + options.limits.headersTimeoutMs;
    const insert = new TextEncoder().encode(`${PEER_HEADER}: ${options.secret} ${peer}\r\n`);
    this.#framing = new RequestFraming({ insert, maxHeadBytes: MAX_HEAD_BYTES }, this);
  }

  requestStart(): void {
    this.#requestStart = this.#now;
    this.deadline = this.#now + this.#options.limits.headersTimeoutMs;
  }

  headComplete(hasBody: boolean): void {
    if (hasBody) this.deadline = this.#requestStart + this.#options.limits.requestTimeoutMs;
  }

  requestComplete(): void {
    this.#awaiting = true;
    this.deadline = Infinity;
  }

  /** Relays both directions until either side closes; never throws. */
  async run(): Promise<Outcome> {
    try {
      this.#upstream = await Deno.connect({ transport: "unix", path: this.#options.upstreamPath });
    } catch {
      this.close();
      return "closed";
    }
    if (this.#closed) {
      this.close();
      return "closed";
    }
    const upstream = this.#upstream;
    const [outcome] = await Promise.all([this.#requests(upstream), this.#answers(upstream)]);
    this.close();
    return outcome;
  }

  /** Answers 408 when a request was cut short, then closes. */
  timeOut(): void {
    this.deadline = Infinity; // swept once
    if (!this.#awaiting && this.#framing.phase !== "idle") {
      this.#client.write(TIMEOUT).catch(() => {}).finally(() => this.close());
      return;
    }
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.close();
    if (this.#upstream !== undefined) closeQuietly(this.#upstream);
  }

  async #requests(upstream: Deno.Conn): Promise<Outcome> {
    try {
      for (;;) {
        const chunk = await this.#client.read();
        if (chunk === null) break;
        this.#now = this.#clock();
        let out: Uint8Array;
        try {
          out = this.#framing.feed(chunk);
        } catch (err) {
          if (!(err instanceof FramingError)) throw err;
          await this.#client.write(BAD_REQUEST).catch(() => {});
          this.close();
          return "malformed";
        }
        await writeAll(upstream, out);
      }
      await upstream.closeWrite();
    } catch {
      this.close();
    }
    return "closed";
  }

  async #answers(upstream: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(BUFFER_BYTES);
    try {
      for (;;) {
        const n = await upstream.read(buf);
        if (n === null) break;
        if (this.#framing.phase === "idle") {
          // Answer bytes: the idle timer restarts with each of them.
          this.#awaiting = false;
          this.deadline = this.#clock() + this.#options.limits.keepAliveTimeoutMs;
        }
        await this.#client.write(buf.subarray(0, n));
      }
    } catch {
      // either side went away
    }
    this.close();
  }
}

/** A ClientStream over a Deno TCP connection. */
function denoClient(conn: Deno.Conn): ClientStream {
  const buf = new Uint8Array(BUFFER_BYTES);
  return {
    async read() {
      const n = await conn.read(buf);
      return n === null ? null : buf.subarray(0, n);
    },
    write: (data) => writeAll(conn, data),
    close: () => closeQuietly(conn),
  };
}

/** A ClientStream over a node socket (paused between reads, so backpressure holds). */
function nodeClient(socket: Socket): ClientStream {
  const chunks: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  socket.on("data", (chunk: Uint8Array) => {
    chunks.push(chunk);
    socket.pause();
    notify();
  });
  socket.once("end", () => {
    ended = true;
    notify();
  });
  socket.once("close", () => {
    ended = true;
    notify();
  });
  socket.on("error", () => {});
  return {
    async read() {
      for (;;) {
        const next = chunks.shift();
        if (next !== undefined) return next;
        if (ended) return null;
        socket.resume();
        await new Promise<void>((resolve) => wake = resolve);
      }
    },
    write(data) {
      if (socket.destroyed) return Promise.reject(new Error("Connection closed"));
      // Copy: the caller reuses its buffer while node may still hold this one.
      if (socket.write(data.slice())) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const done = () => {
          socket.off("drain", done);
          socket.off("close", failed);
          resolve();
        };
        const failed = () => {
          socket.off("drain", done);
          reject(new Error("Connection closed"));
        };
        socket.once("drain", done);
        socket.once("close", failed);
      });
    },
    close: () => socket.destroy(),
  };
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await conn.write(data.subarray(offset));
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
