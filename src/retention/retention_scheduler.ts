/**
 * Runs retention on a timer: first a minute after start (so start-up stays quick), then
 * every hour. Runs never overlap (the service joins a run in progress); a failed run is
 * logged and the next one goes ahead as planned. Timers are injectable for tests.
 */

import type { Logger } from "../util/logger.ts";

/** Timer functions (default: the global ones). */
export interface SchedulerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of the scheduler. */
export interface RetentionSchedulerOptions {
  /** Between runs, in ms (default one hour). */
  readonly intervalMs?: number;
  /** Before the first run, in ms (default one minute). */
  readonly firstDelayMs?: number;
  readonly timers?: SchedulerTimers;
  readonly logger?: Logger;
}

/** Calls `run` on a schedule until stopped. */
export class RetentionScheduler {
  readonly #run: () => Promise<unknown>;
  readonly #intervalMs: number;
  readonly #firstDelayMs: number;
  readonly #timers: SchedulerTimers;
  readonly #logger: Logger | undefined;
  #timer: unknown;
  #current: Promise<void> | undefined;
  #stopped = false;

  constructor(run: () => Promise<unknown>, options: RetentionSchedulerOptions = {}) {
    this.#run = run;
    this.#intervalMs = options.intervalMs ?? 3600_000;
    this.#firstDelayMs = options.firstDelayMs ?? 60_000;
    this.#timers = options.timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
    this.#logger = options.logger;
  }

  /** Schedules the first run. */
  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#schedule(this.#firstDelayMs);
  }

  /** Cancels the next run and waits for the one in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#current;
  }

  #schedule(ms: number): void {
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#current = this.#tick();
    }, ms);
  }

  async #tick(): Promise<void> {
    try {
      await this.#run();
    } catch (err) {
      this.#logger?.log("error", "A retention run failed", {
        error: err instanceof Error ? err.name : "error",
      });
    } finally {
      this.#current = undefined;
      if (!this.#stopped) this.#schedule(this.#intervalMs);
    }
  }
}
