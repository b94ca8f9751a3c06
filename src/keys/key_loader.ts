/**
 * Loads key versions for use: unseals a stored version (MAC check, decrypt), hands the
 * material to its provider (which wipes it) and caches the resulting `LoadedKey` in a
 * bounded LRU. Evicted or invalidated keys are disposed (private bytes wiped).
 */

import type { Algorithm } from "../core/algorithms.ts";
import { HsmError } from "../core/errors.ts";
import type { LoadedKey } from "../core/provider.ts";
import { providerFor } from "../core/providers/index.ts";
import type { Sealer } from "../core/sealing.ts";
import { wipe } from "../core/zeroize.ts";
import type { KeyStore } from "../storage/ports.ts";

/** Cache figures for health and metrics. */
export interface KeyCacheStats {
  readonly size: number;
  readonly capacity: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
}

/** Unseals and caches loaded keys. */
export class KeyLoader {
  #store: KeyStore;
  #sealer: Sealer;
  #capacity: number;
  #entries = new Map<string, Promise<LoadedKey>>();
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(store: KeyStore, sealer: Sealer, capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("capacity must be ≥ 1");
    this.#store = store;
    this.#sealer = sealer;
    this.#capacity = capacity;
  }

  /**
   * Returns the loaded key for `keyId` version `version`.
   * @throws HsmError("not_found") for a missing version, ("integrity_error") when tampered
   */
  load(keyId: string, version: number, algorithm: Algorithm): Promise<LoadedKey> {
    const id = `${keyId}:${version}`;
    const cached = this.#entries.get(id);
    if (cached !== undefined) {
      this.#hits++;
      this.#entries.delete(id);
      this.#entries.set(id, cached);
      return cached;
    }
    this.#misses++;
    const loading = this.#unseal(keyId, version, algorithm);
    this.#entries.set(id, loading);
    loading.catch(() => {
      if (this.#entries.get(id) === loading) this.#entries.delete(id);
    });
    while (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#drop(oldest);
      this.#evictions++;
    }
    return loading;
  }

  /** Disposes every cached version of a key (after destroy). */
  invalidate(keyId: string): void {
    for (const id of [...this.#entries.keys()]) {
      if (id.startsWith(`${keyId}:`)) this.#drop(id);
    }
  }

  /** Disposes everything (shutdown). */
  clear(): void {
    for (const id of [...this.#entries.keys()]) this.#drop(id);
  }

  /** Current cache figures. */
  stats(): KeyCacheStats {
    return {
      size: this.#entries.size,
      capacity: this.#capacity,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
    };
  }

  #drop(id: string): void {
    const entry = this.#entries.get(id);
    this.#entries.delete(id);
    entry?.then((key) => key.dispose(), () => {});
  }

  async #unseal(keyId: string, version: number, algorithm: Algorithm): Promise<LoadedKey> {
    const sealed = await this.#store.getVersion(keyId, version);
    if (sealed === undefined) {
      throw new HsmError("not_found", `Cannot use version ${version} of key ${keyId}: not found`);
    }
    if (sealed.algorithm !== algorithm) {
      throw new HsmError("integrity_error", "Sealed key data failed its integrity check");
    }
    const material = await this.#sealer.unseal(sealed, { keyId, version });
    try {
      return await providerFor(algorithm).load(algorithm, material);
    } finally {
      wipe(material);
    }
  }
}
