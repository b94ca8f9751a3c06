/**
 * The key-listing cache stays within its entry and byte bounds whatever pages it is
 * given: least recently used pages are evicted first, a page too heavy to cache is still
 * served, writes and expiry make pages unreachable.
 */

import assert from "node:assert/strict";
import type { KeyRecord } from "../../src/domain/records.ts";
import { estimatePageBytes, ListCache } from "../../src/keys/list_cache.ts";
import type { KeyListPage, KeyListQuery } from "../../src/storage/ports.ts";

function record(i: number, tags: number, valueLength: number): KeyRecord {
  const t: Record<string, string> = {};
  for (let j = 0; j < tags; j++) t[`tag${j}`] = "Ж".repeat(valueLength);
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    name: `key-${i}`,
    algorithm: "AES-256-GCM",
    usage: ["encrypt", "decrypt"],
    tags: t,
    state: "active",
    currentVersion: 1,
    dualControl: false,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    revision: 1,
    mac: "A".repeat(64),
  };
}

function page(records: number, tags: number, valueLength: number): KeyListPage {
  const items = Array.from({ length: records }, (_, i) => record(i, tags, valueLength));
  return { items, total: records };
}

const query = (limit: number): KeyListQuery => ({ offset: 0, limit });

Deno.test("the estimate counts every tag character at two bytes and grows with the page", () => {
  const light = estimatePageBytes(page(10, 0, 0));
  const heavy = estimatePageBytes(page(10, 32, 256));
  assert.ok(heavy - light >= 10 * 32 * 256 * 2, `${heavy} - ${light}`);
  assert.ok(estimatePageBytes(page(100, 32, 256)) > 1.6 * 1024 * 1024);
});

Deno.test("distinct heavy listings never hold more estimated bytes than the byte bound", async () => {
  const heavy = page(20, 32, 256);
  const size = estimatePageBytes(heavy);
  const maxBytes = size * 5;
  const cache = new ListCache({ maxEntries: 1000, maxBytes });
  let loads = 0;
  for (let limit = 1; limit <= 50; limit++) {
    await cache.getOrLoad("alice", query(limit), () => {
      loads++;
      return Promise.resolve(heavy);
    });
    const stats = cache.stats();
    assert.ok(stats.bytes <= maxBytes, `${stats.bytes} > ${maxBytes} after ${limit} pages`);
  }
  const stats = cache.stats();
  assert.equal(loads, 50);
  assert.ok(stats.size <= 5 && stats.size >= 4, `size ${stats.size}`);
  assert.equal(stats.evictions, 50 - stats.size);
  assert.equal(stats.maxBytes, maxBytes);
});

Deno.test("the least recently used listing is the one evicted", async () => {
  const heavy = page(20, 32, 256);
  const cache = new ListCache({ maxBytes: estimatePageBytes(heavy) * 4 + 1000 });
  const loads: number[] = [];
  const get = (limit: number) =>
    cache.getOrLoad("alice", query(limit), () => {
      loads.push(limit);
      return Promise.resolve(heavy);
    });
  await get(1);
  await get(2);
  await get(3);
  await get(4);
  await get(1); // hit: 1 is now the most recently used
  await get(5); // evicts 2
  await get(1);
  await get(3);
  await get(2); // reloaded
  assert.deepEqual(loads, [1, 2, 3, 4, 5, 2]);
});

Deno.test("a page heavier than a quarter of the byte bound is served but not cached", async () => {
  const heavy = page(20, 32, 256);
  const cache = new ListCache({ maxBytes: estimatePageBytes(heavy) * 2 });
  let loads = 0;
  const load = () => {
    loads++;
    return Promise.resolve(heavy);
  };
  assert.equal(await cache.getOrLoad("alice", query(20), load), heavy);
  assert.equal(await cache.getOrLoad("alice", query(20), load), heavy);
  assert.equal(loads, 2);
  assert.equal(cache.stats().size, 0);
  assert.equal(cache.stats().bytes, 0);
  assert.equal(cache.stats().oversized, 2);
});

Deno.test("the entry bound still holds for light pages", async () => {
  const cache = new ListCache({ maxEntries: 3 });
  for (let limit = 1; limit <= 10; limit++) {
    await cache.getOrLoad("alice", query(limit), () => Promise.resolve(page(1, 0, 0)));
  }
  assert.equal(cache.stats().size, 3);
  assert.equal(cache.stats().evictions, 7);
});

Deno.test("expired and invalidated listings are loaded again and release their bytes", async () => {
  let now = 0;
  const cache = new ListCache({ ttlMs: 1000, clock: () => now });
  let loads = 0;
  const load = () => {
    loads++;
    return Promise.resolve(page(2, 1, 10));
  };
  await cache.getOrLoad("alice", query(5), load);
  await cache.getOrLoad("alice", query(5), load);
  assert.equal(loads, 1);
  now = 1000;
  await cache.getOrLoad("alice", query(5), load);
  assert.equal(loads, 2);
  assert.equal(cache.stats().expirations, 1);
  assert.equal(cache.stats().size, 1);
  assert.ok(cache.stats().bytes >= estimatePageBytes(page(2, 1, 10)));
  cache.invalidate();
  await cache.getOrLoad("alice", query(5), load);
  assert.equal(loads, 3);
});

Deno.test("invalid bounds are programmer errors", () => {
  assert.throws(() => new ListCache({ maxBytes: 0 }), RangeError);
  assert.throws(() => new ListCache({ maxEntries: 1.5 }), RangeError);
  assert.throws(() => new ListCache({ ttlMs: -1 }), RangeError);
});
