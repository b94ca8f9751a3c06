/**
 * Loads key versions for use: unseals a stored version (MAC check, decrypt), hands the
 * material to its provider (which wipes it) and caches the resulting `LoadedKey` in a
 * bounded LRU. Evicted or invalidated keys are disposed (private bytes wiped).
 */

import type { Algorithm } from "../domain/algorithms.ts";
import { HsmError } from "../domain/errors.ts";
import type { LoadedKey } from "../core/provider.ts";
import { providerFor } from "../core/providers/index.ts";
import type { Sealer } from "../core/sealing.ts";
import { wipe } from "../core/zeroize.ts";
import type { KeyStore } from "../storage/ports.ts";
import { LruCache } from "../util/lru_cache.ts";

/** Cache figures for health and metrics. */
export interface KeyCacheStats {
  readonly size: number;
  readonly capacity: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
}

/** Turns unsealed material (wiped by the callee) into a loaded key. */
export type KeyFactory = (algorithm: Algorithm, material: Uint8Array) => Promise<LoadedKey>;

/** Unseals and caches loaded keys. */
export class KeyLoader {
  #store: KeyStore;
  #sealer: Sealer;
  #load: KeyFactory;
  #cache: LruCache<string, Promise<LoadedKey>>;

  /**
   * `load` turns unsealed material into a key (default: the algorithm's provider on this
   * thread; the server passes one that sends slow algorithms to the offload pool).
   */
  constructor(
    store: KeyStore,
    sealer: Sealer,
    capacity: number,
    load: KeyFactory = (algorithm, material) => providerFor(algorithm).load(algorithm, material),
  ) {
    this.#store = store;
    this.#sealer = sealer;
    this.#load = load;
    this.#cache = new LruCache({ maxEntries: capacity, onEvict: (_id, key) => dispose(key) });
  }

  /**
   * Returns the loaded key for `keyId` version `version`.
   * @throws HsmError("not_found") for a missing version, ("integrity_error") when tampered
   */
  load(keyId: string, version: number, algorithm: Algorithm): Promise<LoadedKey> {
    const id = `${keyId}:${version}`;
    const cached = this.#cache.get(id);
    if (cached !== undefined) return cached;
    const loading = this.#unseal(keyId, version, algorithm);
    this.#cache.set(id, loading);
    loading.catch(() => {
      if (this.#cache.peek(id) === loading) this.#cache.delete(id);
    });
    return loading;
  }

  /** Disposes every cached version of a key (after destroy). */
  invalidate(keyId: string): void {
    for (const id of [...this.#cache.keys()]) {
      if (id.startsWith(`${keyId}:`)) this.#drop(id);
    }
  }

  /** Disposes everything (shutdown). */
  clear(): void {
    for (const id of [...this.#cache.keys()]) this.#drop(id);
  }

  /** Current cache figures. */
  stats(): KeyCacheStats {
    const { hits, misses, evictions } = this.#cache.stats;
    return { size: this.#cache.size, capacity: this.#cache.maxEntries, hits, misses, evictions };
  }

  #drop(id: string): void {
    const entry = this.#cache.peek(id);
    this.#cache.delete(id);
    if (entry !== undefined) dispose(entry);
  }

  async #unseal(keyId: string, version: number, algorithm: Algorithm): Promise<LoadedKey> {
    const sealed = await this.#store.getVersion(keyId, version);
    if (sealed === undefined) {
      throw new HsmError("not_found", `Cannot use version ${version} of key ${keyId}: not found`);
    }
    if (sealed.purgedAt !== undefined) {
      throw new HsmError(
        "invalid_state",
        `Cannot use version ${version} of key ${keyId}: its material was purged`,
      );
    }
    if (sealed.algorithm !== algorithm) {
      throw new HsmError("integrity_error", "Sealed key data failed its integrity check");
    }
    const material = await this.#sealer.unseal(sealed, { keyId, version });
    try {
      return await this.#load(algorithm, material);
    } finally {
      wipe(material);
    }
  }
}

function dispose(entry: Promise<LoadedKey>): void {
  entry.then((key) => key.dispose(), () => {});
}
