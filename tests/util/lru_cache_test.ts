import assert from "node:assert/strict";
import { LruCache } from "../../src/util/lru_cache.ts";

function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

Deno.test("get returns stored values and counts hits and misses", () => {
  const cache = new LruCache<string, number>({ maxEntries: 3 });
  cache.set("a", 1).set("b", 2);
  assert.equal(cache.get("a"), 1);
  assert.equal(cache.get("b"), 2);
  assert.equal(cache.get("c"), undefined);
  assert.equal(cache.size, 2);
  assert.deepEqual(cache.stats, { hits: 2, misses: 1, evictions: 0, expirations: 0 });
});

Deno.test("the least recently used entry is evicted beyond maxEntries", () => {
  const cache = new LruCache<string, number>({ maxEntries: 2 });
  cache.set("a", 1).set("b", 2);
  cache.get("a"); // a is now more recent than b
  cache.set("c", 3);
  assert.equal(cache.has("b"), false);
  assert.equal(cache.get("a"), 1);
  assert.equal(cache.get("c"), 3);
  assert.equal(cache.size, 2);
  assert.equal(cache.stats.evictions, 1);
});

Deno.test("setting an existing key replaces it without eviction", () => {
  const cache = new LruCache<string, number>({ maxEntries: 2 });
  cache.set("a", 1).set("b", 2).set("a", 10);
  assert.equal(cache.size, 2);
  assert.equal(cache.stats.evictions, 0);
  cache.set("c", 3); // b is now the oldest
  assert.equal(cache.has("b"), false);
  assert.equal(cache.get("a"), 10);
});

Deno.test("entries expire after the default ttl", () => {
  const clock = fakeClock();
  const cache = new LruCache<string, string>({ maxEntries: 10, ttlMs: 1000, clock: clock.now });
  cache.set("k", "v");
  clock.advance(999);
  assert.equal(cache.get("k"), "v");
  clock.advance(1);
  assert.equal(cache.has("k"), false);
  assert.equal(cache.get("k"), undefined);
  assert.equal(cache.size, 0);
  assert.deepEqual(cache.stats, { hits: 1, misses: 1, evictions: 0, expirations: 1 });
});

Deno.test("a per-entry ttl overrides the default and no ttl means no expiry", () => {
  const clock = fakeClock();
  const cache = new LruCache<string, number>({ maxEntries: 10, clock: clock.now });
  cache.set("forever", 1);
  cache.set("short", 2, 50);
  clock.advance(10_000_000);
  assert.equal(cache.get("forever"), 1);
  assert.equal(cache.get("short"), undefined);
});

Deno.test("prune drops only expired entries", () => {
  const clock = fakeClock();
  const cache = new LruCache<number, number>({ maxEntries: 10, ttlMs: 100, clock: clock.now });
  cache.set(1, 1).set(2, 2);
  clock.advance(60);
  cache.set(3, 3);
  clock.advance(50);
  assert.equal(cache.prune(), 2);
  assert.equal(cache.size, 1);
  assert.equal(cache.get(3), 3);
  assert.equal(cache.stats.expirations, 2);
});

Deno.test("delete and clear remove entries and clear resets the counters", () => {
  const cache = new LruCache<string, number>({ maxEntries: 1 });
  cache.set("a", 1);
  assert.equal(cache.delete("a"), true);
  assert.equal(cache.delete("a"), false);
  cache.set("b", 2).set("c", 3);
  cache.get("c");
  cache.clear();
  assert.equal(cache.size, 0);
  assert.deepEqual(cache.stats, { hits: 0, misses: 0, evictions: 0, expirations: 0 });
});

Deno.test("memory stays bounded under many distinct keys", () => {
  const cache = new LruCache<number, number>({ maxEntries: 100 });
  for (let i = 0; i < 10_000; i++) cache.set(i, i);
  assert.equal(cache.size, 100);
  assert.equal(cache.maxEntries, 100);
  assert.equal(cache.stats.evictions, 9_900);
  assert.equal(cache.get(9_999), 9_999);
  assert.equal(cache.get(0), undefined);
});

Deno.test("invalid capacity or ttl is a programmer error", () => {
  assert.throws(() => new LruCache({ maxEntries: 0 }), RangeError);
  assert.throws(() => new LruCache({ maxEntries: 1.5 }), RangeError);
  assert.throws(() => new LruCache({ maxEntries: 1, ttlMs: 0 }), RangeError);
  assert.throws(() => new LruCache({ maxEntries: 1, ttlMs: NaN }), RangeError);
  const cache = new LruCache<string, number>({ maxEntries: 1 });
  assert.throws(() => cache.set("a", 1, -5), RangeError);
});

Deno.test("onEvict receives capacity evictions; peek and keys do not touch recency", () => {
  const evicted: [string, number][] = [];
  const cache = new LruCache<string, number>({
    maxEntries: 2,
    onEvict: (k, v) => evicted.push([k, v]),
  });
  cache.set("a", 1).set("b", 2);
  assert.equal(cache.peek("a"), 1);
  assert.deepEqual([...cache.keys()], ["a", "b"]);
  cache.set("c", 3); // "a" is still least recently used: peek did not refresh it
  assert.deepEqual(evicted, [["a", 1]]);
  assert.equal(cache.stats.hits, 0);
  cache.delete("b");
  assert.deepEqual(evicted, [["a", 1]], "explicit deletes are not evictions");
});
