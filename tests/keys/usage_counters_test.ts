/**
 * Usage counters: operations add up in memory, a flush writes them in one store call,
 * readers see stored plus pending counts, a failed flush keeps the deltas for the next
 * one, and stop() flushes what is left.
 */

import assert from "node:assert/strict";
import { UsageCounters } from "../../src/keys/usage_counters.ts";
import { MemoryUsageStore } from "../../src/storage/memory/usage_store.ts";
import type { UsageDelta } from "../../src/storage/ports.ts";

class RecordingStore extends MemoryUsageStore {
  calls: UsageDelta[][] = [];
  failNext = false;

  override add(deltas: readonly UsageDelta[]): Promise<void> {
    this.calls.push([...deltas]);
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error("disk full"));
    }
    return super.add(deltas);
  }
}

Deno.test("operations add up in memory and one flush writes them all", async () => {
  const store = new RecordingStore();
  const counters = new UsageCounters(store);
  for (let i = 0; i < 1000; i++) counters.record("k1", 1);
  counters.record("k1", 2, 5);
  counters.record("k2", 1);
  assert.equal(store.calls.length, 0, "nothing written on the hot path");
  assert.deepEqual(await counters.counts("k1"), new Map([[1, 1000], [2, 5]]));
  await counters.flush();
  assert.equal(store.calls.length, 1);
  assert.deepEqual(store.calls[0]?.length, 3);
  assert.deepEqual(await counters.counts("k1"), new Map([[1, 1000], [2, 5]]));
  counters.record("k1", 1);
  assert.deepEqual(await counters.counts("k1"), new Map([[1, 1001], [2, 5]]));
  await counters.flush();
  await counters.flush(); // nothing pending: no write
  assert.equal(store.calls.length, 2);
});

Deno.test("a failed flush keeps its deltas for the next one", async () => {
  const store = new RecordingStore();
  const logged: string[] = [];
  const counters = new UsageCounters(store, { log: { log: (_l, m) => logged.push(m) } });
  counters.record("k1", 1, 3);
  store.failNext = true;
  await assert.rejects(counters.flush());
  assert.deepEqual(logged, ["usage counters flush failed"]);
  counters.record("k1", 1);
  await counters.flush();
  assert.deepEqual(await store.get("k1"), new Map([[1, 4]]));
});

Deno.test("stop flushes what is pending and the timer never keeps the process alive", async () => {
  const store = new RecordingStore();
  const counters = new UsageCounters(store);
  counters.start(60_000);
  counters.record("k1", 1, 2);
  await counters.stop();
  assert.deepEqual(await store.get("k1"), new Map([[1, 2]]));
});
