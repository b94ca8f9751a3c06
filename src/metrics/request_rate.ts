/**
 * Requests and errors per second over the last minutes, in a fixed ring of one slot per
 * second (10 minutes by default), for the dashboard's chart and rates. Memory is
 * constant whatever the traffic; a slot is reused once its second has left the window.
 * Pure logic with an injectable clock; no timers. Records only counts, never request
 * details.
 */

/** Requests and errors per second, oldest first, ending with the last complete second. */
export interface RateSeries {
  /** Unix time in seconds of the first slot. */
  readonly start: number;
  readonly requests: readonly number[];
  /** Answers with a status of 400 or more. */
  readonly errors: readonly number[];
}

/** Options of RequestRate. */
export interface RequestRateOptions {
  /** Seconds kept (default 600). */
  readonly seconds?: number;
  /** Current time in milliseconds; defaults to `Date.now`. */
  readonly clock?: () => number;
}

/** A per-second ring of request and error counts. */
export class RequestRate {
  readonly #size: number;
  readonly #clock: () => number;
  readonly #second: Float64Array;
  readonly #requests: Uint32Array;
  readonly #errors: Uint32Array;

  /** @throws RangeError unless `seconds` is an integer from 2 to 86 400 */
  constructor(options: RequestRateOptions = {}) {
    const size = options.seconds ?? 600;
    if (!Number.isSafeInteger(size) || size < 2 || size > 86_400) {
      throw new RangeError("RequestRate seconds must be an integer from 2 to 86400");
    }
    this.#size = size;
    this.#clock = options.clock ?? Date.now;
    this.#second = new Float64Array(size).fill(-1);
    this.#requests = new Uint32Array(size);
    this.#errors = new Uint32Array(size);
  }

  /** Seconds the ring holds. */
  get seconds(): number {
    return this.#size;
  }

  /** Counts one answered request with its HTTP status. */
  record(status: number): void {
    const now = Math.floor(this.#clock() / 1000);
    const slot = now % this.#size;
    if (this.#second[slot] !== now) {
      this.#second[slot] = now;
      this.#requests[slot] = 0;
      this.#errors[slot] = 0;
    }
    this.#requests[slot] = (this.#requests[slot] as number) + 1;
    if (status >= 400) this.#errors[slot] = (this.#errors[slot] as number) + 1;
  }

  /** The last `seconds` complete seconds (the current one is still counting). */
  series(seconds: number = this.#size - 1): RateSeries {
    const span = Math.max(1, Math.min(Math.floor(seconds), this.#size - 1));
    const now = Math.floor(this.#clock() / 1000);
    const start = now - span;
    const requests: number[] = [];
    const errors: number[] = [];
    for (let s = start; s < now; s++) {
      const slot = s % this.#size;
      const live = this.#second[slot] === s;
      requests.push(live ? this.#requests[slot] as number : 0);
      errors.push(live ? this.#errors[slot] as number : 0);
    }
    return { start, requests, errors };
  }
}
