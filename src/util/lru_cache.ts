/**
 * A bounded least-recently-used cache with optional per-entry expiry. Memory stays
 * bounded by `maxEntries` whatever callers insert, which is what makes it safe to key
 * by attacker-influenced values (tokens, actors, query strings). Expired entries are
 * dropped lazily when touched, or eagerly by `prune()`; until then they count in `size`.
 * The clock is injectable (epoch milliseconds) so expiry is testable without waiting.
 */

/** Construction options for an LruCache. */
export interface LruCacheOptions<K = unknown, V = unknown> {
  /** Upper bound on stored entries; the least recently used entry is evicted beyond it. */
  readonly maxEntries: number;
  /** Default time to live in milliseconds; entries never expire when omitted. */
  readonly ttlMs?: number;
  /** Current time in epoch milliseconds; defaults to `Date.now`. */
  readonly clock?: () => number;
  /** Called with each entry dropped to stay within `maxEntries` (e.g. to wipe it). */
  readonly onEvict?: (key: K, value: V) => void;
}

/** Counters since construction (or the last `clear()`). */
export interface LruCacheStats {
  /** `get` calls that returned a live entry. */
  readonly hits: number;
  /** `get` calls that found nothing or only an expired entry. */
  readonly misses: number;
  /** Entries dropped to stay within `maxEntries`. */
  readonly evictions: number;
  /** Entries dropped because their time to live had passed. */
  readonly expirations: number;
}

interface Entry<V> {
  value: V;
  /** Epoch milliseconds after which the entry is dead; Infinity for never. */
  expiresAt: number;
}

/** A bounded LRU map with optional expiry and hit/miss/eviction counters. */
export class LruCache<K, V> {
  readonly #map = new Map<K, Entry<V>>();
  readonly #maxEntries: number;
  readonly #ttlMs: number | undefined;
  readonly #clock: () => number;
  readonly #onEvict: ((key: K, value: V) => void) | undefined;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #expirations = 0;

  /** @throws RangeError when `maxEntries` is not a positive integer or `ttlMs` is not positive */
  constructor(options: LruCacheOptions<K, V>) {
    if (!Number.isSafeInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError("maxEntries must be a positive integer");
    }
    if (options.ttlMs !== undefined) checkTtl(options.ttlMs);
    this.#maxEntries = options.maxEntries;
    this.#ttlMs = options.ttlMs;
    this.#clock = options.clock ?? Date.now;
    this.#onEvict = options.onEvict;
  }

  /** The configured capacity. */
  get maxEntries(): number {
    return this.#maxEntries;
  }

  /** Stored entries, including expired ones not yet pruned. */
  get size(): number {
    return this.#map.size;
  }

  /** A snapshot of the counters. */
  get stats(): LruCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      expirations: this.#expirations,
    };
  }

  /** Returns the live value for `key` and marks it most recently used. */
  get(key: K): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) {
      this.#misses++;
      return undefined;
    }
    if (entry.expiresAt <= this.#clock()) {
      this.#map.delete(key);
      this.#expirations++;
      this.#misses++;
      return undefined;
    }
    this.#map.delete(key);
    this.#map.set(key, entry);
    this.#hits++;
    return entry.value;
  }

  /** True when a live entry exists; does not touch recency or counters. */
  has(key: K): boolean {
    const entry = this.#map.get(key);
    return entry !== undefined && entry.expiresAt > this.#clock();
  }

  /**
   * Stores `value` as the most recently used entry, evicting the least recently used
   * beyond capacity. `ttlMs` overrides the default time to live for this entry.
   * @throws RangeError when `ttlMs` is not a positive number
   */
  set(key: K, value: V, ttlMs?: number): this {
    const ttl = ttlMs ?? this.#ttlMs;
    if (ttl !== undefined) checkTtl(ttl);
    const expiresAt = ttl === undefined ? Infinity : this.#clock() + ttl;
    this.#map.delete(key);
    this.#map.set(key, { value, expiresAt });
    while (this.#map.size > this.#maxEntries) {
      const oldest = this.#map.entries().next();
      if (oldest.done) break;
      const [oldKey, oldEntry] = oldest.value;
      this.#map.delete(oldKey);
      this.#evictions++;
      this.#onEvict?.(oldKey, oldEntry.value);
    }
    return this;
  }

  /** The live value for `key` without touching recency or counters. */
  peek(key: K): V | undefined {
    const entry = this.#map.get(key);
    return entry !== undefined && entry.expiresAt > this.#clock() ? entry.value : undefined;
  }

  /** The stored keys, least recently used first (expired ones included until pruned). */
  keys(): IterableIterator<K> {
    return this.#map.keys();
  }

  /** Removes `key`; returns whether it was present. */
  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  /** Removes every entry and resets the counters. */
  clear(): void {
    this.#map.clear();
    this.#hits = 0;
    this.#misses = 0;
    this.#evictions = 0;
    this.#expirations = 0;
  }

  /** Drops every expired entry; returns how many were dropped. */
  prune(): number {
    const now = this.#clock();
    let dropped = 0;
    for (const [key, entry] of this.#map) {
      if (entry.expiresAt <= now) {
        this.#map.delete(key);
        dropped++;
      }
    }
    this.#expirations += dropped;
    return dropped;
  }
}

function checkTtl(ttlMs: number): void {
  if (!(ttlMs > 0)) {
    throw new RangeError("ttlMs must be a positive number of milliseconds");
  }
}
