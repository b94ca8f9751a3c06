/**
 * Usage counters per key version (how many operations each version performed), kept off
 * the hot path: an operation adds one to an in-memory counter (two map lookups, no I/O,
 * no await) and a timer flushes the accumulated deltas to the `UsageStore` in one write.
 * Readers see the stored counts plus what is still pending.
 *
 * Caveats: counters are informational, not audit evidence (the audit log is): they are
 * not MAC'd, a crash loses the deltas of the last flush interval, and a failed flush is
 * retried with the next one (logged, never failing an operation).
 */

import type { UsageDelta, UsageStore } from "../storage/ports.ts";
import type { Logger } from "../util/logger.ts";

/** Counts operations (what CryptoService and the key-operations services call). */
export interface UsageRecorder {
  /** Adds `count` (default 1) operations to `keyId` version `version`. */
  record(keyId: string, version: number, count?: number): void;
}

/** Options of UsageCounters. */
export interface UsageCountersOptions {
  /** Where flushes go (also logs a failed flush). */
  readonly log?: Logger;
}

/** Default flush interval. */
export const USAGE_FLUSH_INTERVAL_MS = 5_000;

/** In-memory operation counters flushed periodically to a store. */
export class UsageCounters implements UsageRecorder {
  readonly #store: UsageStore;
  readonly #log: Logger | undefined;
  #pending = new Map<string, Map<number, number>>();
  #flushing: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(store: UsageStore, options: UsageCountersOptions = {}) {
    this.#store = store;
    this.#log = options.log;
  }

  record(keyId: string, version: number, count = 1): void {
    let versions = this.#pending.get(keyId);
    if (versions === undefined) this.#pending.set(keyId, versions = new Map());
    versions.set(version, (versions.get(version) ?? 0) + count);
  }

  /** Writes the pending deltas to the store (one write); on failure they stay pending. */
  flush(): Promise<void> {
    const previous = this.#flushing ?? Promise.resolve();
    const run = previous.then(async () => {
      if (this.#pending.size === 0) return;
      const batch = this.#pending;
      this.#pending = new Map();
      const deltas: UsageDelta[] = [];
      for (const [keyId, versions] of batch) {
        for (const [version, count] of versions) deltas.push({ keyId, version, count });
      }
      try {
        await this.#store.add(deltas);
      } catch (err) {
        for (const d of deltas) this.record(d.keyId, d.version, d.count);
        this.#log?.log("warn", "usage counters flush failed", {
          deltas: deltas.length,
          error: err instanceof Error ? err.name : "unknown",
        });
        throw err;
      }
    });
    const settled = run.catch(() => undefined);
    this.#flushing = settled;
    settled.then(() => {
      if (this.#flushing === settled) this.#flushing = undefined;
    });
    return run;
  }

  /** Flushes every `intervalMs` until `stop()` (the timer does not keep the process alive). */
  start(intervalMs: number = USAGE_FLUSH_INTERVAL_MS): void {
    if (this.#timer !== undefined) return;
    const timer = setInterval(() => this.flush().catch(() => undefined), intervalMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** Stops the timer and flushes what is pending. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush().catch(() => undefined);
  }

  /** Operations per version of `keyId`: stored counts plus pending ones. */
  async counts(keyId: string): Promise<Map<number, number>> {
    await this.#flushing;
    const out = await this.#store.get(keyId);
    for (const [version, count] of this.#pending.get(keyId) ?? []) {
      out.set(version, (out.get(version) ?? 0) + count);
    }
    return out;
  }
}
