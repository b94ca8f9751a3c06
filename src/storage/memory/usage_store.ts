/**
 * Usage counters held in memory, for tests, benchmarks and the memory key store.
 */

import type { UsageDelta, UsageStore } from "../ports.ts";
import { assertUsageDeltas } from "../records.ts";

/** Usage counters in a map (lost at exit). */
export class MemoryUsageStore implements UsageStore {
  readonly #counts = new Map<string, Map<number, number>>();

  add(deltas: readonly UsageDelta[]): Promise<void> {
    assertUsageDeltas(deltas);
    for (const { keyId, version, count } of deltas) {
      let versions = this.#counts.get(keyId);
      if (versions === undefined) this.#counts.set(keyId, versions = new Map());
      versions.set(version, (versions.get(version) ?? 0) + count);
    }
    return Promise.resolve();
  }

  get(keyId: string): Promise<Map<number, number>> {
    return Promise.resolve(new Map(this.#counts.get(keyId)));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
