/**
 * The key-listing cache: a TTL-bound LRU (2048 entries by default) keyed by actor and
 * query, so repeated dashboard or client listings skip the store. Any key write bumps
 * a generation number that is part of every cache key, so no listing from before a
 * write is ever served after it; stale entries age out of the LRU.
 */

import type { KeyListPage, KeyListQuery } from "../storage/ports.ts";
import { LruCache, type LruCacheStats } from "../util/lru_cache.ts";

/** Options of the listing cache. */
export interface ListCacheOptions {
  readonly maxEntries?: number;
  readonly ttlMs?: number;
  readonly clock?: () => number;
}

/** Per-actor cache of key listings, invalidated on writes. */
export class ListCache {
  #cache: LruCache<string, KeyListPage>;
  #generation = 0;

  constructor(options: ListCacheOptions = {}) {
    this.#cache = new LruCache({
      maxEntries: options.maxEntries ?? 2048,
      ttlMs: options.ttlMs ?? 30_000,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
  }

  /** Returns the cached page for this actor and query, or loads and caches it. */
  async getOrLoad(
    actor: string,
    query: KeyListQuery,
    load: () => Promise<KeyListPage>,
  ): Promise<KeyListPage> {
    const generation = this.#generation;
    const key = JSON.stringify([
      generation,
      actor,
      query.algorithm ?? null,
      query.state ?? null,
      query.tag?.key ?? null,
      query.tag?.value ?? null,
      query.nameContains ?? null,
      query.offset,
      query.limit,
      query.after === undefined ? null : [query.after.createdAt, query.after.id],
      query.before === undefined ? null : [query.before.createdAt, query.before.id],
    ]);
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit;
    const page = await load();
    // A write during the load bumps the generation: do not cache a possibly stale page.
    if (generation === this.#generation) this.#cache.set(key, page);
    return page;
  }

  /** How many key writes this process has seen (anything cached from before a write is stale). */
  get generation(): number {
    return this.#generation;
  }

  /** Makes every cached listing unreachable (call after any key write). */
  invalidate(): void {
    this.#generation++;
  }

  /** Cache size and counters for health and metrics. */
  stats(): LruCacheStats & { size: number; maxEntries: number } {
    return { ...this.#cache.stats, size: this.#cache.size, maxEntries: this.#cache.maxEntries };
  }
}
