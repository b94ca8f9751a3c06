/**
 * Connection-level limits of the listener: how many TCP connections may be open at once
 * and how long a client may take to send its request headers, its whole request, or to
 * send the next request on an idle keep-alive connection. They stop slow clients
 * (slowloris) from holding sockets and file descriptors, which the request-level limits
 * (rate limits, concurrency bound) never see because no request is ever complete.
 * Caveat: a connection refused for being over the bound is closed without an answer.
 */

/** Connection bound and slow-client timeouts. */
export interface ConnectionLimits {
  /** Longest time from the connection (or the previous request) to the end of the headers. */
  readonly headersTimeoutMs: number;
  /** Longest time to receive a whole request (headers and body). */
  readonly requestTimeoutMs: number;
  /** Longest idle time of a keep-alive connection between two requests. */
  readonly keepAliveTimeoutMs: number;
  /** Open connections at most; further ones are closed when accepted. */
  readonly maxConnections: number;
  /** How often the timers are checked (the precision of the timeouts). */
  readonly checkIntervalMs: number;
}

/** The limits used when none are given: 10 s headers, 60 s request, 5 s idle, 1024 connections. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
  checkIntervalMs: 1_000,
});

/** Extra connections allowed beyond the requests that may run or wait (probes, idle clients). */
export const CONNECTION_HEADROOM = 64;

/**
 * The limits for a server whose concurrency bound lets `maxConcurrent` requests run and
 * `maxQueue` wait: one connection each, plus CONNECTION_HEADROOM.
 */
export function connectionLimitsFor(maxConcurrent: number, maxQueue: number): ConnectionLimits {
  return Object.freeze({
    ...DEFAULT_CONNECTION_LIMITS,
    maxConnections: maxConcurrent + maxQueue + CONNECTION_HEADROOM,
  });
}
