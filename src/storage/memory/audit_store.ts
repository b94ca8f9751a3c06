/**
 * In-memory audit store for tests and benchmarks. Nothing is durable. Test hooks:
 * `failNextAppend` makes the next append calls reject, `pauseAppends` holds appends
 * until released (to observe group commit deterministically), `tamper` edits the
 * stored entries, and `appendCalls` counts store writes (one per batch).
 */

import type { AuditStore } from "../ports.ts";
import type { AuditEntry } from "../../domain/audit_entry.ts";

/** The in-memory implementation of the AuditStore port. */
export class MemoryAuditStore implements AuditStore {
  #entries: AuditEntry[] = [];
  #appendCalls = 0;
  #failures = 0;
  #gate: Promise<void> | undefined;

  /** How many times `append` was called (failed calls included). */
  get appendCalls(): number {
    return this.#appendCalls;
  }

  /** A copy of the stored entries. */
  get entries(): AuditEntry[] {
    return [...this.#entries];
  }

  /** Makes the next `count` append calls reject without storing anything. */
  failNextAppend(count = 1): void {
    this.#failures += count;
  }

  /** Holds every append (from now on) until the returned function is called. */
  pauseAppends(): () => void {
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.#gate = gate;
    return () => {
      if (this.#gate === gate) this.#gate = undefined;
      release();
    };
  }

  /** Replaces the stored entries with `fn(entries)` (tamper tests). */
  tamper(fn: (entries: AuditEntry[]) => AuditEntry[]): void {
    this.#entries = fn([...this.#entries]);
  }

  async append(entries: readonly AuditEntry[]): Promise<void> {
    this.#appendCalls++;
    if (this.#gate !== undefined) await this.#gate;
    else await Promise.resolve();
    if (this.#failures > 0) {
      this.#failures--;
      throw new Error("Simulated audit store failure");
    }
    for (const e of entries) this.#entries.push({ ...e });
  }

  last(): Promise<AuditEntry | undefined> {
    return Promise.resolve(this.#entries[this.#entries.length - 1]);
  }

  list(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    const out = this.#entries.filter((e) => e.seq > afterSeq).slice(0, Math.max(0, limit));
    return Promise.resolve(out);
  }

  async *scan(): AsyncGenerator<AuditEntry> {
    const snapshot = [...this.#entries];
    for (const entry of snapshot) {
      await Promise.resolve();
      yield entry;
    }
  }

  /** Journal entries (`records` set, or an action of `actions`), ascending. */
  async *journal(actions: readonly string[], afterSeq = 0): AsyncGenerator<AuditEntry> {
    for await (const entry of this.scan()) {
      if (entry.seq <= afterSeq) continue;
      if (entry.records !== undefined || actions.includes(entry.action)) yield entry;
    }
  }

  /** Drops entries with seq ≤ `seq` (archived). */
  dropThrough(seq: number): Promise<void> {
    this.#entries = this.#entries.filter((e) => e.seq > seq);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
