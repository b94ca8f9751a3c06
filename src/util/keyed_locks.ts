/**
 * Per-key async mutex: lifecycle changes to one key run one at a time in this process,
 * so read–modify–write sequences see a stable record. Stores still enforce the
 * `revision` check against writers in other processes.
 */

/** Serializes async work per key id. */
export class KeyLocks {
  #tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier holder of `keyId` has finished. */
  async with<T>(keyId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(keyId) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.#tails.set(keyId, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(keyId) === tail) this.#tails.delete(keyId);
    }
  }
}
