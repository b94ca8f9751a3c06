/**
 * The key-listing cache: a TTL-bound LRU keyed by actor and query, so repeated dashboard
 * or client listings skip the store. Any key write bumps a generation number that is
 * part of every cache key, so no listing from before a write is ever served after it;
 * stale entries age out of the LRU.
 *
 * Memory is bounded twice: by entries (2048 by default) and by an estimate of the bytes
 * the cached pages hold (16 MiB by default; see `estimatePageBytes`). Without the byte
 * bound, distinct heavy queries (100 keys a page, each with 32 long tags) cost about
 * 2 MiB a page and 2048 of them would exceed the server's heap, so an authenticated
 * caller could make V8 abort the process. A page estimated above a quarter of the byte
 * bound is served but never cached.
 */

import type { KeyRecord } from "../domain/records.ts";
import type { KeyListPage, KeyListQuery } from "../storage/ports.ts";
import { ListHints } from "./list_hints.ts";

/** Entries held when `maxEntries` is not given. */
export const DEFAULT_LIST_CACHE_ENTRIES = 2048;
/** Estimated bytes held when `maxBytes` is not given: 16 MiB. */
export const DEFAULT_LIST_CACHE_BYTES = 16 * 1024 * 1024;

/** Options of the listing cache. */
export interface ListCacheOptions {
  readonly maxEntries?: number;
  /** Bound on the estimated bytes of all cached pages. */
  readonly maxBytes?: number;
  readonly ttlMs?: number;
  readonly clock?: () => number;
}

/** Figures of the listing cache for health and metrics. */
export interface ListCacheStats {
  readonly hits: number;
  readonly misses: number;
  /** Entries dropped to stay within `maxEntries` or `maxBytes`. */
  readonly evictions: number;
  /** Entries dropped because their time to live had passed. */
  readonly expirations: number;
  /** Pages served but not cached because they alone exceed a quarter of `maxBytes`. */
  readonly oversized: number;
  readonly size: number;
  readonly maxEntries: number;
  /** Estimated bytes held now. */
  readonly bytes: number;
  readonly maxBytes: number;
}

interface Entry {
  readonly page: KeyListPage;
  readonly bytes: number;
  readonly expiresAt: number;
}

/** Fixed cost assumed per object (header, hidden class, property slots). */
const OBJECT_BYTES = 64;
/** Fixed cost assumed per record beyond its strings (object, usage array, tags object). */
const RECORD_BYTES = 6 * OBJECT_BYTES;
/** Fixed cost assumed per tag beyond its strings (property slot, two string headers). */
const TAG_BYTES = 48;

/**
 * A deliberately high estimate of the heap bytes of one page: every string counted at
 * two bytes a character (V8's two-byte strings) plus fixed per-object costs.
 */
export function estimatePageBytes(page: KeyListPage): number {
  let bytes = OBJECT_BYTES * 2;
  for (const record of page.items) bytes += estimateRecordBytes(record);
  return bytes;
}

function estimateRecordBytes(r: KeyRecord): number {
  let chars = r.id.length + r.name.length + r.algorithm.length + r.state.length +
    r.createdAt.length + r.updatedAt.length + r.mac.length;
  for (const usage of r.usage) chars += usage.length + 8;
  let bytes = RECORD_BYTES;
  for (const key in r.tags) {
    chars += key.length + (r.tags[key]?.length ?? 0);
    bytes += TAG_BYTES;
  }
  return bytes + 2 * chars;
}

/** Per-actor cache of key listings, invalidated on writes, bounded in entries and bytes. */
export class ListCache {
  /** Insertion-ordered: the first entry is the least recently used. */
  readonly #map = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #ttlMs: number;
  readonly #clock: () => number;
  #generation = 0;
  readonly #hints = new ListHints();
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #expirations = 0;
  #oversized = 0;

  /** @throws RangeError when a bound or the time to live is not a positive integer */
  constructor(options: ListCacheOptions = {}) {
    this.#maxEntries = positive(options.maxEntries ?? DEFAULT_LIST_CACHE_ENTRIES, "maxEntries");
    this.#maxBytes = positive(options.maxBytes ?? DEFAULT_LIST_CACHE_BYTES, "maxBytes");
    this.#ttlMs = positive(options.ttlMs ?? 30_000, "ttlMs");
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * Returns the cached page for this actor and query, or loads and caches it. `load` gets
   * the query with the hints known in this generation (`total`, or an `after` cursor in
   * place of the offset); the page it answers must be the one `query` asks for.
   */
  async getOrLoad(
    actor: string,
    query: KeyListQuery,
    load: (hinted: KeyListQuery) => Promise<KeyListPage>,
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
    const hit = this.#get(key);
    if (hit !== undefined) return hit;
    const page = await load(this.#hints.apply(query, generation));
    // A write during the load bumps the generation: do not cache a possibly stale page.
    if (generation === this.#generation) {
      this.#set(key, page);
      this.#hints.learn(query, page, generation);
    }
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

  /** Cache size, estimated bytes and counters for health and metrics. */
  stats(): ListCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      expirations: this.#expirations,
      oversized: this.#oversized,
      size: this.#map.size,
      maxEntries: this.#maxEntries,
      bytes: this.#bytes,
      maxBytes: this.#maxBytes,
    };
  }

  #get(key: string): KeyListPage | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#map.delete(key);
    if (entry.expiresAt <= this.#clock()) {
      this.#bytes -= entry.bytes;
      this.#expirations++;
      this.#misses++;
      return undefined;
    }
    this.#map.set(key, entry);
    this.#hits++;
    return entry.page;
  }

  #set(key: string, page: KeyListPage): void {
    const bytes = estimatePageBytes(page) + 2 * key.length;
    if (bytes > this.#maxBytes / 4) {
      this.#oversized++;
      return;
    }
    const previous = this.#map.get(key);
    if (previous !== undefined) {
      this.#map.delete(key);
      this.#bytes -= previous.bytes;
    }
    this.#map.set(key, { page, bytes, expiresAt: this.#clock() + this.#ttlMs });
    this.#bytes += bytes;
    this.#shrink();
  }

  /** Drops least recently used entries until both bounds hold. */
  #shrink(): void {
    if (this.#map.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) return;
    const now = this.#clock();
    for (const [key, entry] of this.#map) {
      if (this.#map.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) break;
      this.#map.delete(key);
      this.#bytes -= entry.bytes;
      if (entry.expiresAt <= now) this.#expirations++;
      else this.#evictions++;
    }
  }
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer`);
  }
  return value;
}
