/**
 * The in-memory list paging shared by the memory and file adapters: the bounded
 * selection (small pages) and the full sort (deep offsets) answer the same pages.
 */

import { strict as assert } from "node:assert";
import { compareByCreation, pageKeyRecords } from "../../src/storage/records.ts";
import type { KeyRecord } from "../../src/domain/records.ts";
import { fakeRecord } from "./key_store_fixtures.ts";

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = crypto.getRandomValues(new Uint32Array(1))[0] as number % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

Deno.test("small and deep pages of shuffled records follow the creation order", () => {
  const records: KeyRecord[] = [];
  const at = new Date(Date.UTC(2024, 0, 1)).toISOString();
  for (let i = 0; i < 1500; i++) {
    // Many share a timestamp so the id decides.
    records.push(fakeRecord(i % 3 === 0 ? { createdAt: at, updatedAt: at } : {}));
  }
  const sorted = records.toSorted(compareByCreation).map((r) => r.id);
  const input = shuffled(records);
  const ids = (q: { offset: number; limit: number; after?: KeyRecord; before?: KeyRecord }) =>
    pageKeyRecords(input, q).items.map((r) => r.id);

  assert.deepStrictEqual(ids({ offset: 0, limit: 50 }), sorted.slice(0, 50));
  assert.deepStrictEqual(ids({ offset: 1000, limit: 50 }), sorted.slice(1000, 1050));
  assert.deepStrictEqual(ids({ offset: 1200, limit: 100 }), sorted.slice(1200, 1300));
  const cursor = records.find((r) => r.id === sorted[700]) as KeyRecord;
  assert.deepStrictEqual(ids({ offset: 0, limit: 20, after: cursor }), sorted.slice(701, 721));
  assert.deepStrictEqual(ids({ offset: 0, limit: 20, before: cursor }), sorted.slice(680, 700));
  assert.deepStrictEqual(ids({ offset: 0, limit: 2000, before: cursor }), sorted.slice(0, 700));
  assert.equal(pageKeyRecords(input, { offset: 0, limit: 0 }).total, 1500);
});
