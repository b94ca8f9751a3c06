/**
 * Plain-HTTP serving with a connection bound and slow-client timeouts at no cost per
 * request. `Deno.serve` has neither (a client that sends half a request line, or
 * nothing, holds its socket forever), so this module accepts TCP connections itself and
 * hands each one to Deno's own HTTP server for a single connection
 * (`Deno[Deno.internal].serveHttpOnConnection`, the function `Deno.serve` uses per
 * connection), with an abort signal that closes the connection when its deadline
 * passes:
 *
 * - a connection beyond `maxConnections` is closed as soon as it is accepted;
 * - the head of the first request must arrive within `headersTimeoutMs` of the accept,
 *   the next request's head within `keepAliveTimeoutMs` of the previous answer;
 * - a request with a body must be read and answered within `requestTimeoutMs`, and every
 *   answer delivered within `requestTimeoutMs`; a request without a body may run as
 *   long as the service takes.
 *
 * Caveat: `serveHttpOnConnection` is internal to Deno (present in the pinned 2.9.6). When
 * it is missing, `connectionServerAvailable()` is false and the listener relays through
 * the public-API TCP front (`tcp_front.ts`) instead, at about 20 µs more per request.
 * TLS always goes through the front: a TLS connection cannot be closed before its
 * handshake ends in Deno 2.9.6, which would let silent clients keep descriptors.
 */

import type { ConnectionLimits } from "./connection_limits.ts";

/** What the handler learns about the connection. */
export interface ConnectionInfo {
  readonly remoteAddr: Deno.NetAddr;
}

/** A fetch-style handler. */
export type ConnectionHandler = (
  req: Request,
  info: ConnectionInfo,
) => Response | Promise<Response>;

/** Counters of the server. */
export interface ConnectionServerStats {
  readonly open: number;
  readonly accepted: number;
  /** Closed at once because `maxConnections` were open. */
  readonly refused: number;
  /** Closed for a header, request or idle timeout. */
  readonly timedOut: number;
}

/** A listening server. */
export interface ConnectionServer {
  readonly addr: Deno.NetAddr;
  /** Resolves once the server has stopped. */
  readonly finished: Promise<void>;
  stats(): ConnectionServerStats;
  /** Stops accepting, lets in-flight requests finish (at most `drainMs`), then closes. */
  shutdown(drainMs?: number): Promise<void>;
}

interface HttpOnConnection {
  readonly finished: Promise<void>;
  shutdown(): Promise<void>;
}

type ServeHttpOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal,
  handler: (
    req: Request,
    info: { remoteAddr: Deno.NetAddr; completed?: Promise<void> },
  ) => Response | Promise<Response>,
  onError: (err: unknown) => Response | Promise<Response>,
  onListen: (scheme: string) => void,
) => HttpOnConnection;

function internalServe(): ServeHttpOnConnection | undefined {
  const symbol = (Deno as unknown as { internal?: symbol }).internal;
  if (typeof symbol !== "symbol") return undefined;
  const internals = (Deno as unknown as Record<symbol, Record<string, unknown> | undefined>)[
    symbol
  ];
  const serve = internals?.serveHttpOnConnection;
  return typeof serve === "function" ? serve as ServeHttpOnConnection : undefined;
}

/** True when this Deno can serve HTTP on a connection accepted here. */
export function connectionServerAvailable(): boolean {
  return internalServe() !== undefined;
}

/** Methods whose requests carry no body (anything else gets the request timeout). */
const BODILESS = new Set(["GET", "HEAD", "OPTIONS"]);

const INTERNAL_ERROR = '{"error":{"code":"internal","message":"Internal error"}}';

/** The timing state of one connection. */
interface Timing {
  /** When the connection is closed (monotonic milliseconds). */
  deadline: number;
  /** Requests being handled or answered. */
  active: number;
}

/** One served connection. */
interface Tracked {
  readonly abort: AbortController;
  readonly http: HttpOnConnection;
  readonly timing: Timing;
}

/**
 * Listens on `hostname:port` and serves `handler` on every accepted connection.
 * @throws the runtime's listen error (e.g. Deno.errors.AddrInUse)
 * @throws TypeError when `connectionServerAvailable()` is false
 */
export function serveConnections(
  options: { hostname: string; port: number; limits: ConnectionLimits },
  handler: ConnectionHandler,
): ConnectionServer {
  const found = internalServe();
  if (found === undefined) throw new TypeError("serveHttpOnConnection is not available");
  const serve: ServeHttpOnConnection = found;
  const { limits } = options;
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const connections = new Set<Tracked>();
  let accepted = 0;
  let refused = 0;
  let timedOut = 0;
  let closing = false;

  const sweep = setInterval(() => {
    const now = performance.now();
    for (const c of connections) {
      if (c.timing.deadline <= now) {
        timedOut++;
        c.timing.deadline = Infinity;
        c.abort.abort();
      }
    }
  }, limits.checkIntervalMs);

  function track(conn: Deno.Conn): void {
    const remoteAddr = conn.remoteAddr as Deno.NetAddr;
    const abort = new AbortController();
    const timing: Timing = { deadline: performance.now() + limits.headersTimeoutMs, active: 0 };
    const done = () => {
      timing.active--;
      if (timing.active === 0) timing.deadline = performance.now() + limits.keepAliveTimeoutMs;
    };
    const http = serve(
      conn,
      abort.signal,
      (req, info) => {
        timing.active++;
        // A body must arrive (and be answered) in time; a bodiless request may run long.
        timing.deadline = BODILESS.has(req.method)
          ? Infinity
          : performance.now() + limits.requestTimeoutMs;
        // `completed` settles once the answer has been written (or has failed).
        if (info.completed === undefined) queueMicrotask(done);
        else info.completed.then(done, done);
        return Promise.resolve(handler(req, { remoteAddr })).then((res) => {
          // The answer must reach the client in time.
          timing.deadline = performance.now() + limits.requestTimeoutMs;
          return res;
        });
      },
      () =>
        new Response(INTERNAL_ERROR, {
          status: 500,
          headers: { "content-type": "application/json" },
        }),
      () => {},
    );
    const tracked: Tracked = { abort, http, timing };
    connections.add(tracked);
    // A reset by the client rejects `finished`: that only ends this connection.
    http.finished.catch(() => {}).finally(() => connections.delete(tracked));
  }

  const accepting = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (closing || err instanceof Deno.errors.BadResource) return;
        // A failed accept (e.g. out of descriptors) must not stop the server.
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      accepted++;
      if (connections.size >= limits.maxConnections) {
        refused++;
        try {
          conn.close();
        } catch {
          // already gone
        }
        continue;
      }
      try {
        (conn as Deno.TcpConn).setNoDelay(true); // small answers must not wait for Nagle
      } catch {
        // not a TCP connection
      }
      track(conn);
    }
  })();

  let resolveFinished: () => void = () => {};
  const finished = new Promise<void>((resolve) => resolveFinished = resolve);
  let stopping: Promise<void> | undefined;
  return {
    addr: listener.addr as Deno.NetAddr,
    finished,
    stats: () => ({ open: connections.size, accepted, refused, timedOut }),
    shutdown(drainMs = 5000) {
      stopping ??= (async () => {
        closing = true;
        try {
          listener.close();
        } catch {
          // already closed
        }
        await accepting;
        const all = [...connections];
        const graceful = Promise.allSettled(all.map((c) => c.http.shutdown()));
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([graceful, new Promise((r) => timer = setTimeout(r, drainMs))]);
        clearTimeout(timer);
        for (const c of connections) c.abort.abort();
        await Promise.allSettled(all.map((c) => c.http.finished));
        clearInterval(sweep);
        resolveFinished();
      })();
      return stopping;
    },
  };
}
