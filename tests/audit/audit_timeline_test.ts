import { strict as assert } from "node:assert";
import { readTimeline } from "../../src/audit/audit_timeline.ts";
import type { AuditEntry } from "../../src/domain/audit_entry.ts";
import { MemoryAuditStore } from "../../src/storage/memory/audit_store.ts";

/** Entries 1..n; actors alternate alice/bob, every fifth is a rotate of key-k. */
async function storeOf(n: number): Promise<MemoryAuditStore> {
  const store = new MemoryAuditStore();
  const entries: AuditEntry[] = [];
  for (let seq = 1; seq <= n; seq++) {
    entries.push({
      seq,
      ts: new Date(Date.UTC(2030, 0, 1, 0, 0, seq)).toISOString(),
      actor: seq % 2 === 0 ? "bob" : "alice",
      action: seq % 5 === 0 ? "key.rotate" : "audit.read",
      key_id: seq % 5 === 0 ? "key-k" : null,
      result: "ok",
      payload_hash: "0".repeat(64),
      prev_hash: "0".repeat(64),
      mac: "0".repeat(96),
    });
  }
  await store.append(entries);
  return store;
}

const seqs = (entries: readonly AuditEntry[]) => entries.map((e) => e.seq);

Deno.test("the timeline pages newest first and ends where the log does", async () => {
  const store = await storeOf(23);
  const first = await readTimeline(store, { limit: 10 }, { window: 7 });
  assert.deepStrictEqual(seqs(first.entries), [23, 22, 21, 20, 19, 18, 17, 16, 15, 14]);
  assert.equal(first.nextBeforeSeq, 14);
  const second = await readTimeline(store, { limit: 10, beforeSeq: 14 }, { window: 7 });
  assert.deepStrictEqual(seqs(second.entries), [13, 12, 11, 10, 9, 8, 7, 6, 5, 4]);
  const last = await readTimeline(store, { limit: 10, beforeSeq: 4 }, { window: 7 });
  assert.deepStrictEqual(seqs(last.entries), [3, 2, 1]);
  assert.equal(last.nextBeforeSeq, undefined);
  const empty = await readTimeline(new MemoryAuditStore(), { limit: 5 });
  assert.deepStrictEqual(empty, { entries: [], nextBeforeSeq: undefined, scanned: 0 });
});

Deno.test("the timeline filters by actor, action prefix and key", async () => {
  const store = await storeOf(40);
  const rotations = await readTimeline(store, { limit: 3, action: "key" }, { window: 6 });
  assert.deepStrictEqual(seqs(rotations.entries), [40, 35, 30]);
  assert.equal(rotations.nextBeforeSeq, 30);
  const exact = await readTimeline(store, { limit: 100, action: "key.rotate", actor: "alice" });
  assert.deepStrictEqual(seqs(exact.entries), [35, 25, 15, 5]);
  assert.equal((await readTimeline(store, { limit: 100, action: "key.rot" })).entries.length, 0);
  const byKey = await readTimeline(store, { limit: 100, keyId: "key-k", actor: "bob" });
  assert.deepStrictEqual(seqs(byKey.entries), [40, 30, 20, 10]);
});

Deno.test("a rare filter answers a short page with a cursor after maxScan entries", async () => {
  const store = await storeOf(50);
  const page = await readTimeline(store, { limit: 10, action: "key" }, {
    window: 8,
    maxScan: 12,
  });
  assert.deepStrictEqual(seqs(page.entries), [50, 45, 40]);
  assert.equal(page.scanned, 12);
  assert.equal(page.nextBeforeSeq, 39);
  const more = await readTimeline(store, { limit: 10, action: "key", beforeSeq: 39 }, {
    maxScan: 12,
  });
  assert.deepStrictEqual(seqs(more.entries), [35, 30]);
});

Deno.test("timeline limits are checked", async () => {
  const store = await storeOf(1);
  await assert.rejects(readTimeline(store, { limit: 0 }), RangeError);
  await assert.rejects(readTimeline(store, { limit: 1001 }), RangeError);
  await assert.rejects(readTimeline(store, { limit: 5, beforeSeq: -1 }), RangeError);
});
