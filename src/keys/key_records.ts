/**
 * Verified key records: reads a record from the store, checks its MAC and that it is the
 * revision the audit log last committed (the record journal), and keeps the records
 * this process verified or wrote in a bounded cache. Every service that needs
 * a key's metadata reads it here, so no path skips the integrity check.
 *
 * On one node only its own writes change records; an edit made on disk behind its back
 * is detected when the record is next read from the store (after eviction or a restart).
 * Nodes sharing a database drop the records other nodes changed (`forget`, `clear`, fed
 * by the change feed); a read racing such a drop is not cached.
 */

import { type RecordJournal, refOf } from "../audit/record_journal.ts";
import type { Sealer } from "../core/sealing.ts";
import { HsmError } from "../domain/errors.ts";
import type { KeyRecord } from "../domain/records.ts";
import type { KeyStore } from "../storage/ports.ts";
import { LruCache } from "../util/lru_cache.ts";

/** Options of KeyRecords. */
export interface KeyRecordsOptions {
  readonly store: KeyStore;
  readonly sealer: Sealer;
  readonly journal: RecordJournal;
  /** Records kept verified in memory (default 10 000). */
  readonly cacheSize?: number;
}

/** Integrity-checked access to key records. */
export class KeyRecords {
  #store: KeyStore;
  #sealer: Sealer;
  #journal: RecordJournal;
  #cache: LruCache<string, KeyRecord>;
  /** Bumped by every drop: a read that started before one does not fill the cache. */
  #generation = 0;

  constructor(options: KeyRecordsOptions) {
    this.#store = options.store;
    this.#sealer = options.sealer;
    this.#journal = options.journal;
    this.#cache = new LruCache({ maxEntries: options.cacheSize ?? 10_000 });
  }

  /**
   * Reads and integrity-checks a key record (no authorization; for services).
   * @throws HsmError("not_found" | "integrity_error")
   */
  async get(id: string): Promise<KeyRecord> {
    const cached = this.#cache.get(id);
    if (cached !== undefined) return cached;
    const generation = this.#generation;
    const record = await this.#store.get(id);
    if (record === undefined) throw new HsmError("not_found", `Key ${id} not found`);
    await this.verify(record);
    if (generation === this.#generation) this.#cache.set(id, record);
    return record;
  }

  /** Drops the cached record of `id` (another node changed it). */
  forget(id: string): void {
    this.#generation++;
    this.#cache.delete(id);
  }

  /** Drops every cached record (changes from other nodes may have been missed). */
  clear(): void {
    this.#generation++;
    for (const id of [...this.#cache.keys()]) this.#cache.delete(id);
  }

  /**
   * Checks a record read from the store: its MAC, and that it is the revision the audit
   * log last committed (not a replayed older row).
   * @throws HsmError("integrity_error")
   */
  async verify(record: KeyRecord): Promise<void> {
    await this.#sealer.verifyRecord(record);
    await this.#journal.verify("key", record);
  }

  /**
   * Runs the store write of `next` (already journaled by a commit point), keeps the
   * cache in step and tells the journal the store holds it.
   */
  async write(next: KeyRecord, write: () => Promise<void>): Promise<void> {
    this.#cache.delete(next.id);
    await write();
    this.#journal.settle(refOf("key", next));
    this.#cache.set(next.id, next);
  }

  /** Figures of the verified-record cache, for metrics. */
  stats(): { hits: number; misses: number; evictions: number; size: number; capacity: number } {
    const { hits, misses, evictions } = this.#cache.stats;
    return { hits, misses, evictions, size: this.#cache.size, capacity: this.#cache.maxEntries };
  }
}
