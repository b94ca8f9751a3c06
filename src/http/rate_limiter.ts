/**
 * Per-actor token buckets: each key (`sub:<actor>` or `ip:<address>`) holds up to `burst`
 * tokens refilled at `rps` per second; a request takes one token or is refused with the
 * whole seconds until one is available. Buckets live in a bounded LRU, so a flood of
 * distinct identities cannot grow memory; the price is that beyond `maxActors` live
 * keys the least recently seen bucket is forgotten and comes back full. Buckets idle
 * for `idleMs` expire (a returning actor starts full, as it would have refilled anyway).
 * Pure logic with an injectable clock; no timers, no I/O.
 */

import { LruCache } from "../util/lru_cache.ts";

/** A token-bucket limit: sustained requests per second and the bucket size. */
export interface RateLimit {
  readonly rps: number;
  readonly burst: number;
}

/** Construction options for a RateLimiter. */
export interface RateLimiterOptions {
  /** Sustained requests per second for keys without a more generous role limit. */
  readonly defaultRps: number;
  /** Bucket size of the default limit; `2 × defaultRps` when omitted. */
  readonly defaultBurst?: number;
  /** Limits by role name (roles left out use the default); the most generous role applies. */
  readonly roleLimits?: Readonly<Record<string, RateLimit>>;
  /** Upper bound on buckets held in memory (default 4096). */
  readonly maxActors?: number;
  /** Milliseconds after which an untouched bucket is dropped (default 5 minutes). */
  readonly idleMs?: number;
  /** Current time in milliseconds; defaults to `Date.now`. */
  readonly clock?: () => number;
}

/** The answer of `take`. */
export type RateDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterS: number };

/** Counters of a RateLimiter. */
export interface RateLimiterStats {
  /** Buckets currently held (idle ones not yet pruned included). */
  readonly actors: number;
  /** Requests refused since construction. */
  readonly limited: number;
  /** The configured bound on buckets. */
  readonly maxActors: number;
  /** Buckets dropped to stay within `maxActors`. */
  readonly evictions: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const ALLOWED: RateDecision = Object.freeze({ allowed: true });

/** Tolerance for float noise in token sums (a token due now is never refused). */
const EPSILON = 1e-9;

/** Checks a limit; `what` names it in the error. */
function checkLimit(limit: RateLimit, what: string): RateLimit {
  if (!Number.isFinite(limit.rps) || limit.rps <= 0) {
    throw new RangeError(`${what}: rps must be a positive number`);
  }
  if (!Number.isFinite(limit.burst) || limit.burst < 1) {
    throw new RangeError(`${what}: burst must be a number of at least 1`);
  }
  return Object.freeze({ rps: limit.rps, burst: limit.burst });
}

/** More generous: the higher sustained rate, then the larger burst. */
function moreGenerous(a: RateLimit, b: RateLimit): RateLimit {
  if (a.rps !== b.rps) return a.rps > b.rps ? a : b;
  return a.burst >= b.burst ? a : b;
}

/** Token-bucket rate limiting per key, bounded in memory. */
export class RateLimiter {
  readonly #default: RateLimit;
  readonly #roles: ReadonlyMap<string, RateLimit>;
  readonly #buckets: LruCache<string, Bucket>;
  readonly #clock: () => number;
  #limited = 0;
  /** This node's share of every limit (1 on its own; 1/N of N live nodes). */
  #share = 1;

  /** @throws RangeError when a rate, burst, `maxActors` or `idleMs` is out of range */
  constructor(options: RateLimiterOptions) {
    this.#default = checkLimit(
      { rps: options.defaultRps, burst: options.defaultBurst ?? 2 * options.defaultRps },
      "default limit",
    );
    const roles = new Map<string, RateLimit>();
    for (const [role, limit] of Object.entries(options.roleLimits ?? {})) {
      roles.set(role, checkLimit(limit, `limit of role ${role}`));
    }
    this.#roles = roles;
    this.#clock = options.clock ?? Date.now;
    this.#buckets = new LruCache({
      maxEntries: options.maxActors ?? 4096,
      ttlMs: options.idleMs ?? 300_000,
      clock: this.#clock,
    });
  }

  /**
   * The limit for an actor holding `roles`: each role's own limit (the default for a role
   * without one), the most generous of them; the default when `roles` is empty.
   */
  limitFor(roles: readonly string[] = []): RateLimit {
    let limit: RateLimit | undefined;
    for (const role of roles) {
      const own = this.#roles.get(role) ?? this.#default;
      limit = limit === undefined ? own : moreGenerous(limit, own);
    }
    return limit ?? this.#default;
  }

  /**
   * Sizes this node's buckets for a cluster: with `share` = 1/N of N nodes behind a load
   * balancer, each enforces 1/N of every rate and burst (a burst of at least 1), so the
   * cluster as a whole allows about what one node would.
   * @throws RangeError unless 0 < share <= 1
   */
  setShare(share: number): void {
    if (!(share > 0 && share <= 1)) throw new RangeError("Rate share must be in (0, 1]");
    this.#share = share;
  }

  /** The share set by `setShare` (1 by default). */
  get share(): number {
    return this.#share;
  }

  /** Takes one token from `key`'s bucket, or says how many whole seconds to wait. */
  take(key: string, roles: readonly string[] = []): RateDecision {
    const full = this.limitFor(roles);
    const limit = this.#share === 1 ? full : {
      rps: full.rps * this.#share,
      burst: Math.max(1, full.burst * this.#share),
    };
    const now = this.#clock();
    const bucket = this.#buckets.get(key) ?? { tokens: limit.burst, updatedAt: now };
    const elapsedS = Math.max(0, now - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(limit.burst, bucket.tokens + elapsedS * limit.rps);
    bucket.updatedAt = now;
    // Refused requests touch the bucket too: a key that keeps knocking stays tracked.
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1 - EPSILON) {
      bucket.tokens -= 1;
      return ALLOWED;
    }
    this.#limited++;
    const waitS = (1 - bucket.tokens) / limit.rps;
    // The epsilon keeps float noise (3.0000000000000004) from adding a whole second.
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil(waitS - EPSILON)) };
  }

  /** Drops idle buckets now; returns how many were dropped. */
  prune(): number {
    return this.#buckets.prune();
  }

  /** A snapshot of the counters. */
  stats(): RateLimiterStats {
    return {
      actors: this.#buckets.size,
      limited: this.#limited,
      maxActors: this.#buckets.maxEntries,
      evictions: this.#buckets.stats.evictions,
    };
  }
}
