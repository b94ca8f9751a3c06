/**
 * Abuse and overload limits as Hono middleware: request header size, the global
 * concurrency bound (503 + `Retry-After: 1`), and token-bucket rate limits per client
 * address before authentication and per actor after it (429 + `Retry-After`).
 * Caveats: the client address is the TCP peer; behind a proxy every client shares the
 * proxy's address (forwarding headers are not trusted), which is why the pre-auth limit
 * is generous. IPv6 peers are limited per /64, since one host can hold a whole /64.
 */

import type { Context, MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/deno";
import { HsmError, isHsmError } from "../domain/errors.ts";
import type { AppEnv } from "./context.ts";
import { errorResponse } from "./error_map.ts";
import type { ConcurrencyLimiter, Release } from "./load_shed.ts";
import type { RateLimiter } from "./rate_limiter.ts";

/** Bounds on request headers (bytes of `name: value`). */
export interface HeaderLimits {
  /** Largest total size of all headers. */
  readonly maxTotalBytes: number;
  /** Largest size of any single header. */
  readonly maxHeaderBytes: number;
}

/** Header limits used when the composition root gives none: 16 KiB total, 8 KiB each. */
export const DEFAULT_HEADER_LIMITS: HeaderLimits = Object.freeze({
  maxTotalBytes: 16 * 1024,
  maxHeaderBytes: 8 * 1024,
});

/** Refuses requests whose headers are too large with 400 `invalid_request`. */
export function headerLimit(limits: HeaderLimits): MiddlewareHandler<AppEnv> {
  return async function headerLimitMiddleware(c, next) {
    let total = 0;
    for (const [name, value] of c.req.raw.headers) {
      // Header values are byte strings: one character per byte; +4 for ": " and CRLF.
      const size = name.length + value.length + 4;
      total += size;
      if (size > limits.maxHeaderBytes || total > limits.maxTotalBytes) {
        throw new HsmError("invalid_request", "Request headers too large");
      }
    }
    await next();
  };
}

/** Bounds concurrent requests; refuses with 503 `unavailable` and `Retry-After: 1`. */
export function loadShed(limiter: ConcurrencyLimiter): MiddlewareHandler<AppEnv> {
  return async function loadShedMiddleware(c, next) {
    let release: Release;
    try {
      release = await limiter.acquire();
    } catch (err) {
      if (!isHsmError(err, "unavailable")) throw err;
      c.header("Retry-After", "1");
      return errorResponse(c, err);
    }
    try {
      await next();
    } finally {
      release();
    }
  };
}

/** Rate-limits by client address (key `ip:<address>`); mount before authentication. */
export function ipRateLimit(limiter: RateLimiter): MiddlewareHandler<AppEnv> {
  return async function ipRateLimitMiddleware(c, next) {
    const decision = limiter.take(`ip:${addressKey(remoteAddress(c))}`);
    if (!decision.allowed) return tooManyRequests(c, decision.retryAfterS);
    await next();
  };
}

/** Rate-limits by authenticated actor (key `sub:<id>`, limit by roles); mount after auth. */
export function actorRateLimit(limiter: RateLimiter): MiddlewareHandler<AppEnv> {
  return async function actorRateLimitMiddleware(c, next) {
    const actor = c.get("actor") as AppEnv["Variables"]["actor"] | undefined;
    if (actor === undefined) throw new TypeError("actorRateLimit must run after authentication");
    const decision = limiter.take(`sub:${actor.id}`, actor.roles);
    if (!decision.allowed) return tooManyRequests(c, decision.retryAfterS);
    await next();
  };
}

function tooManyRequests(c: Context<AppEnv>, retryAfterS: number): Response {
  c.header("Retry-After", String(retryAfterS));
  return errorResponse(c, new HsmError("rate_limited", "Too many requests, retry later"));
}

/**
 * The TCP peer address: the listener's `clientAddress` binding (mutual TLS), else
 * Deno.serve's connection info, else "unknown" (in-process tests).
 */
function remoteAddress(c: Context<AppEnv>): string {
  const bound = c.get("clientAddress");
  if (bound !== undefined) return bound;
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * The rate-limit identity of an address: IPv4 as is (also when IPv4-mapped), IPv6 by
 * its /64 prefix. Anything unparseable is used verbatim.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped !== null) return mapped[1] as string;
  if (!address.includes(":")) return address;
  const halves = address.replace(/%.*$/, "").toLowerCase().split("::");
  if (halves.length > 2) return address;
  const head = halves[0] === "" || halves[0] === undefined ? [] : halves[0].split(":");
  const tail = halves.length === 2 && halves[1] !== "" ? (halves[1] as string).split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return address;
  const groups = [...head, ...Array<string>(missing).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return address;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}
