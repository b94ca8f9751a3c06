/**
 * Listings learn totals and page ends for the next ones: the total of a filter is handed
 * to the store instead of counting again, the next page by offset becomes a keyset seek,
 * and nothing learnt survives a key write (a new generation).
 */

import assert from "node:assert/strict";
import type { KeyRecord } from "../../src/domain/records.ts";
import { ListCache } from "../../src/keys/list_cache.ts";
import { ListHints } from "../../src/keys/list_hints.ts";
import type { KeyListPage, KeyListQuery } from "../../src/storage/ports.ts";

function record(i: number): KeyRecord {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    name: `key-${i}`,
    algorithm: "AES-256-GCM",
    usage: ["encrypt", "decrypt"],
    tags: {},
    state: "active",
    currentVersion: 1,
    dualControl: false,
    createdAt: `2026-01-01T00:00:${String(i % 60).padStart(2, "0")}.000Z`,
    updatedAt: "2026-01-01T00:00:00.000Z",
    revision: 1,
    mac: "A".repeat(64),
  };
}

/** A page of `limit` records from `offset` out of `total`. */
function page(offset: number, limit: number, total: number): KeyListPage {
  const n = Math.max(0, Math.min(limit, total - offset));
  return { items: Array.from({ length: n }, (_, i) => record(offset + i)), total };
}

Deno.test("a learnt total is handed on for the same filter only, until the generation changes", () => {
  const hints = new ListHints();
  const q: KeyListQuery = { offset: 0, limit: 10, algorithm: "AES-256-GCM" };
  assert.deepEqual(hints.apply(q, 0), q);
  hints.learn(q, page(0, 10, 42), 0);
  assert.equal(hints.apply({ ...q, offset: 30 }, 0).total, 42);
  assert.equal(hints.apply({ offset: 0, limit: 10 }, 0).total, undefined, "other filter");
  assert.equal(hints.apply({ ...q, state: "revoked" }, 0).total, undefined, "other filter");
  assert.equal(hints.apply(q, 1).total, undefined, "a write happened");
  assert.equal(hints.apply(q, 0).total, undefined, "an older generation never comes back");
});

Deno.test("the page after a full page served by offset is a keyset seek from its last key", () => {
  const hints = new ListHints();
  const first: KeyListQuery = { offset: 0, limit: 10 };
  hints.learn(first, page(0, 10, 25), 3);
  const next = hints.apply({ offset: 10, limit: 10 }, 3);
  const last = record(9);
  assert.deepEqual(next, {
    offset: 0,
    limit: 10,
    total: 25,
    after: { createdAt: last.createdAt, id: last.id },
  });
  // Only the exact next position is known; other offsets keep their offset.
  assert.equal(hints.apply({ offset: 20, limit: 10 }, 3).after, undefined);
  assert.equal(hints.apply({ offset: 20, limit: 10 }, 3).offset, 20);
  // A short (last) page teaches no end; a page asked by cursor has no absolute position.
  hints.learn({ offset: 20, limit: 10 }, page(20, 10, 25), 3);
  assert.equal(hints.apply({ offset: 30, limit: 10 }, 3).after, undefined);
  hints.learn({ offset: 0, limit: 10, after: last }, page(10, 10, 25), 3);
  assert.equal(hints.apply({ offset: 20, limit: 10 }, 3).after, undefined);
  assert.throws(() => new ListHints(0), RangeError);
});

Deno.test("hints stay within their bound", () => {
  const hints = new ListHints(4);
  for (let i = 0; i < 50; i++) {
    hints.learn({ offset: i * 10, limit: 10, nameContains: `n${i}` }, page(i * 10, 10, 1000), 0);
    const { totals, positions } = hints.size();
    assert.ok(totals <= 4 && positions <= 4, `${totals} ${positions}`);
  }
});

Deno.test("the listing cache loads with the hints of its generation, shared by every actor", async () => {
  const cache = new ListCache();
  const seen: KeyListQuery[] = [];
  const load = (hinted: KeyListQuery) => {
    seen.push(hinted);
    return Promise.resolve(page(hinted.after === undefined ? hinted.offset : 10, 10, 25));
  };
  await cache.getOrLoad("alice", { offset: 0, limit: 10 }, load);
  assert.equal(seen[0]?.total, undefined, "the first listing counts");
  const second = await cache.getOrLoad("bob", { offset: 10, limit: 10 }, load);
  assert.equal(seen[1]?.total, 25, "bob reuses the total alice's listing learnt");
  assert.equal(seen[1]?.offset, 0);
  assert.equal(seen[1]?.after?.id, record(9).id);
  assert.equal(second.items[0]?.id, record(10).id);
  cache.invalidate();
  await cache.getOrLoad("carol", { offset: 10, limit: 10 }, load);
  assert.deepEqual(seen[2], { offset: 10, limit: 10 }, "after a write: count and offset again");
});
