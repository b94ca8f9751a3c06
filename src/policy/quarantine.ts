/**
 * Holds back scripts whose evaluations keep getting their sandbox child killed (or
 * crashed): after `strikes` such failures in a row, evaluations of that digest deny at
 * once, without a round trip, until `cooldownMs` has passed. Without it one broken policy
 * on a busy path would make the pool SIGKILL and respawn a child per request. Any answer
 * from a child for the digest clears its count. Memory is bounded by `maxEntries`.
 */

import type { PolicyDenyCause } from "./policy_types.ts";

interface Entry {
  strikes: number;
  until: number;
  cause: PolicyDenyCause;
}

/** Quarantine settings. */
export interface QuarantineOptions {
  /** Consecutive kills or crashes before a digest is held (default 3). */
  readonly strikes?: number;
  /** How long a digest is held, in ms (default 30 s). */
  readonly cooldownMs?: number;
  /** Digests tracked at most; beyond it the oldest are forgotten (default 1024). */
  readonly maxEntries?: number;
  /** Monotonic milliseconds (default `performance.now`). */
  readonly clock?: () => number;
}

/** Per-digest strike counts and holds. */
export class Quarantine {
  readonly #entries = new Map<string, Entry>();
  readonly #strikes: number;
  readonly #cooldownMs: number;
  readonly #maxEntries: number;
  readonly #clock: () => number;

  constructor(options: QuarantineOptions = {}) {
    this.#strikes = options.strikes ?? 3;
    this.#cooldownMs = options.cooldownMs ?? 30_000;
    this.#maxEntries = options.maxEntries ?? 1024;
    this.#clock = options.clock ?? (() => performance.now());
  }

  /** The cause a held digest denies with, or undefined when it may run. */
  held(digest: string): PolicyDenyCause | undefined {
    if (this.#entries.size === 0) return undefined;
    const entry = this.#entries.get(digest);
    if (entry === undefined || entry.strikes < this.#strikes) return undefined;
    if (this.#clock() < entry.until) return entry.cause;
    // Cooled down: one more try; a further failure holds it again at once.
    entry.strikes = this.#strikes - 1;
    return undefined;
  }

  /** Records a kill or crash while running `digest`; true when it is now held. */
  strike(digest: string, cause: PolicyDenyCause): boolean {
    let entry = this.#entries.get(digest);
    if (entry === undefined) {
      if (this.#entries.size >= this.#maxEntries) {
        const oldest = this.#entries.keys().next();
        if (!oldest.done) this.#entries.delete(oldest.value);
      }
      entry = { strikes: 0, until: 0, cause };
      this.#entries.set(digest, entry);
    }
    entry.strikes++;
    entry.cause = cause;
    if (entry.strikes < this.#strikes) return false;
    entry.until = this.#clock() + this.#cooldownMs;
    return true;
  }

  /** Forgets `digest` (a child answered for it). */
  clear(digest: string): void {
    if (this.#entries.size > 0) this.#entries.delete(digest);
  }
}
