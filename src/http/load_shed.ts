/**
 * A global concurrency bound with a short, bounded wait queue: at most `maxConcurrent`
 * requests run, at most `maxQueue` wait (first come, first served), and a request that
 * finds both full, or waits longer than `queueTimeoutMs`, is refused at once with
 * `unavailable` (503) instead of piling up latency. Memory stays bounded by the two
 * limits. A queued request is not dropped when its client disconnects; the queue
 * timeout bounds how long such a request can hold a place.
 */

import { HsmError } from "../domain/errors.ts";

/** Queue wait used when `queueTimeoutMs` is not given. */
export const DEFAULT_QUEUE_TIMEOUT_MS = 5_000;

/** Construction options for a ConcurrencyLimiter. */
export interface ConcurrencyLimiterOptions {
  /** Requests allowed to run at the same time (≥ 1). */
  readonly maxConcurrent: number;
  /** Requests allowed to wait for a slot (≥ 0). */
  readonly maxQueue: number;
  /** Longest wait for a slot in milliseconds (default 5 s). */
  readonly queueTimeoutMs?: number;
}

/** Counters of a ConcurrencyLimiter. */
export interface ConcurrencyStats {
  readonly running: number;
  readonly queued: number;
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  /** Requests refused (queue full or queue wait timed out) since construction. */
  readonly shed: number;
}

/** Gives the slot back; calling it more than once has no further effect. */
export type Release = () => void;

interface Waiter {
  grant(release: Release): void;
  timer: ReturnType<typeof setTimeout>;
}

function overloaded(): HsmError {
  return new HsmError("unavailable", "Server overloaded, retry later");
}

/** Bounds concurrent work and the queue in front of it. */
export class ConcurrencyLimiter {
  readonly #maxConcurrent: number;
  readonly #maxQueue: number;
  readonly #queueTimeoutMs: number;
  /** Insertion-ordered, so the first entry is the longest waiter. */
  readonly #queue = new Set<Waiter>();
  #running = 0;
  #shed = 0;

  /** @throws RangeError when a bound is not an integer in range or the timeout not positive */
  constructor(options: ConcurrencyLimiterOptions) {
    if (!Number.isSafeInteger(options.maxConcurrent) || options.maxConcurrent < 1) {
      throw new RangeError("maxConcurrent must be a positive integer");
    }
    if (!Number.isSafeInteger(options.maxQueue) || options.maxQueue < 0) {
      throw new RangeError("maxQueue must be a non-negative integer");
    }
    const timeout = options.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS;
    if (!Number.isFinite(timeout) || timeout <= 0) {
      throw new RangeError("queueTimeoutMs must be a positive number of milliseconds");
    }
    this.#maxConcurrent = options.maxConcurrent;
    this.#maxQueue = options.maxQueue;
    this.#queueTimeoutMs = timeout;
  }

  /**
   * Waits for a slot; the caller must call the returned release when done.
   * @throws HsmError("unavailable") when the queue is full or the wait timed out
   */
  acquire(): Promise<Release> {
    if (this.#running < this.#maxConcurrent) {
      this.#running++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#queue.size >= this.#maxQueue) {
      this.#shed++;
      return Promise.reject(overloaded());
    }
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        timer: setTimeout(() => {
          this.#queue.delete(waiter);
          this.#shed++;
          reject(overloaded());
        }, this.#queueTimeoutMs),
      };
      this.#queue.add(waiter);
    });
  }

  /**
   * Runs `fn` in a slot and releases it when `fn` settles.
   * @throws HsmError("unavailable") when no slot was available in time (fn not called)
   */
  async run<T>(fn: () => Promise<T> | T): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** A snapshot of the counters. */
  stats(): ConcurrencyStats {
    return {
      running: this.#running,
      queued: this.#queue.size,
      maxConcurrent: this.#maxConcurrent,
      maxQueue: this.#maxQueue,
      shed: this.#shed,
    };
  }

  #releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#handOver();
    };
  }

  /** Passes a freed slot to the longest waiter, or frees it. */
  #handOver(): void {
    const next = this.#queue.values().next();
    if (next.done) {
      this.#running--;
      return;
    }
    const waiter = next.value;
    this.#queue.delete(waiter);
    clearTimeout(waiter.timer);
    waiter.grant(this.#releaser()); // the slot passes on; #running is unchanged
  }
}
