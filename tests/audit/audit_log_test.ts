import assert from "node:assert/strict";
import { isHsmError } from "../../src/domain/errors.ts";
import type { AuditEntry } from "../../src/domain/audit_entry.ts";
import { MemoryAuditStore } from "../../src/storage/memory/audit_store.ts";
import { AuditLog } from "../../src/audit/audit_log.ts";
import { verifyAnchor } from "../../src/audit/anchor.ts";
import { MemoryAnchorStore } from "../../src/storage/memory/anchor_store.ts";
import { entryHash, GENESIS_HASH, payloadHash, verifyMac } from "../../src/audit/chain.ts";
import { FileAuditStore } from "../../src/storage/file/audit_store.ts";
import { steppingClock, tempDir, testMacKey } from "./_helpers.ts";

function sample(i: number) {
  return { actor: `actor-${i}`, action: "key.sign", keyId: `k${i}`, result: "ok", payload: { i } };
}

async function untilAppendCalled(store: MemoryAuditStore, calls: number): Promise<void> {
  while (store.appendCalls < calls) await new Promise((r) => setTimeout(r, 0));
}

Deno.test("appends are chained from genesis, MAC'd and durable", async () => {
  const store = new MemoryAuditStore();
  const key = await testMacKey();
  const log = await AuditLog.open(store, key, { clock: steppingClock() });
  assert.deepEqual(log.head(), { seq: 0, hash: GENESIS_HASH });
  const a = await log.append(sample(1));
  const b = await log.append({ actor: "bob", action: "key.create", result: "denied" });
  assert.equal(a.seq, 1);
  assert.equal(a.prev_hash, GENESIS_HASH);
  assert.equal(a.key_id, "k1");
  assert.equal(a.payload_hash, payloadHash({ i: 1 }));
  assert.equal(a.ts, "2030-01-01T00:00:01.000Z");
  assert.equal(b.seq, 2);
  assert.equal(b.key_id, null);
  assert.equal(b.prev_hash, entryHash(a));
  assert.equal(await verifyMac(key, b), true);
  assert.deepEqual(store.entries, [a, b]);
  assert.deepEqual(log.head(), { seq: 2, hash: entryHash(b) });
  assert.deepEqual(await log.verify(), { valid: true, entries: 2, head: entryHash(b) });
  await log.close();
});

Deno.test("200 concurrent appends are group-committed in few batches, consecutive and in call order", async () => {
  const store = new MemoryAuditStore();
  const log = await AuditLog.open(store, await testMacKey());
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(sample(i))));
  assert.ok(store.appendCalls < 50, `${store.appendCalls} batches`);
  assert.deepEqual(results.map((e) => e.seq), Array.from({ length: 200 }, (_, i) => i + 1));
  assert.deepEqual(
    results.map((e) => e.actor),
    Array.from({ length: 200 }, (_, i) => `actor-${i}`),
  );
  assert.deepEqual(store.entries, results);
  const stats = log.stats();
  assert.equal(stats.appended, 200);
  assert.equal(stats.batches, store.appendCalls);
  assert.equal(stats.failures, 0);
  assert.equal((await log.verify()).valid, true);
  await log.close();
});

Deno.test("appends arriving during a write become the next batch", async () => {
  const store = new MemoryAuditStore();
  const log = await AuditLog.open(store, await testMacKey());
  const release = store.pauseAppends();
  const first = log.append(sample(0));
  await untilAppendCalled(store, 1);
  const rest = Array.from({ length: 199 }, (_, i) => log.append(sample(i + 1)));
  assert.equal(log.stats().pending, 199);
  release();
  await Promise.all([first, ...rest]);
  assert.equal(store.appendCalls, 2);
  assert.equal(log.stats().lastBatchSize, 199);
  assert.equal(log.stats().batches, 2);
  await log.close();
});

Deno.test("batches never exceed maxBatch", async () => {
  const store = new MemoryAuditStore();
  const log = await AuditLog.open(store, await testMacKey(), { maxBatch: 10 });
  await Promise.all(Array.from({ length: 35 }, (_, i) => log.append(sample(i))));
  assert.equal(store.appendCalls, 4);
  assert.equal(log.stats().lastBatchSize, 5);
  await log.close();
  await assert.rejects(AuditLog.open(store, await testMacKey(), { maxBatch: 0 }), RangeError);
});

Deno.test("a failed store write rejects its whole batch and the chain resumes after recovery", async () => {
  const store = new MemoryAuditStore();
  const key = await testMacKey();
  const log = await AuditLog.open(store, key);
  await Promise.all([1, 2, 3].map((i) => log.append(sample(i))));
  const before = log.head();

  store.failNextAppend();
  const failed = await Promise.allSettled([4, 5, 6, 7, 8].map((i) => log.append(sample(i))));
  assert.equal(store.appendCalls, 2);
  for (const r of failed) {
    assert.equal(r.status, "rejected");
    assert.ok(isHsmError(r.reason, "audit_unavailable"));
    assert.equal(r.reason.message, "Audit log unavailable");
  }
  assert.deepEqual(log.head(), before);
  assert.equal(log.stats().failures, 1);
  assert.equal(log.stats().failedEntries, 5);

  const next = await log.append(sample(9));
  assert.equal(next.seq, 4);
  assert.equal(next.prev_hash, before.hash);
  assert.deepEqual(await log.verify(), { valid: true, entries: 4, head: entryHash(next) });
  await log.close();
});

Deno.test("entries queued behind a failing batch chain from the last durable entry", async () => {
  const store = new MemoryAuditStore();
  const log = await AuditLog.open(store, await testMacKey());
  store.failNextAppend();
  const release = store.pauseAppends();
  const doomed = log.append(sample(1));
  await untilAppendCalled(store, 1);
  const queued = [log.append(sample(2)), log.append(sample(3))];
  release();
  await assert.rejects(doomed, (err) => isHsmError(err, "audit_unavailable"));
  const [a, b] = await Promise.all(queued);
  assert.equal(a?.seq, 1);
  assert.equal(a?.prev_hash, GENESIS_HASH);
  assert.equal(b?.seq, 2);
  assert.equal((await log.verify()).valid, true);
  await log.close();
});

Deno.test("reopening continues the chain", async () => {
  const store = new MemoryAuditStore();
  const key = await testMacKey();
  const anchor = new MemoryAnchorStore();
  let log = await AuditLog.open(store, key, { anchor });
  await Promise.all([1, 2, 3].map((i) => log.append(sample(i))));
  const head = log.head();
  await log.close();
  log = await AuditLog.open(store, key, { anchor });
  assert.deepEqual(log.head(), head);
  const e = await log.append(sample(4));
  assert.equal(e.seq, 4);
  assert.equal(e.prev_hash, head.hash);
  assert.deepEqual(await log.verify(), { valid: true, entries: 4, head: entryHash(e) });
  await log.close();
});

Deno.test("anchor writes are spaced by anchorIntervalMs, coalesced to the newest head, and flush ends on the last", async () => {
  const store = new MemoryAuditStore();
  const key = await testMacKey();
  const writes: { seq: number; at: number }[] = [];
  const anchor = new MemoryAnchorStore();
  const recording = {
    read: () => anchor.read(),
    write(record: NonNullable<MemoryAnchorStore["record"]>) {
      writes.push({ seq: record.seq, at: performance.now() });
      return anchor.write(record);
    },
  };
  const log = await AuditLog.open(store, key, { anchor: recording, anchorIntervalMs: 40 });
  writes.length = 0; // the genesis anchor of a new log
  // 20 batches, one after the other (each append awaited: one batch each).
  for (let i = 1; i <= 20; i++) await log.append(sample(i));
  await log.flush();
  assert.equal(anchor.record?.seq, 20);
  assert.equal(anchor.record?.hash, log.head().hash);
  assert.ok(writes.length < 20, `${writes.length} anchor writes for 20 batches`);
  assert.ok(writes.length >= 1);
  for (let i = 1; i < writes.length; i++) {
    assert.ok((writes[i] as { at: number }).at - (writes[i - 1] as { at: number }).at >= 39);
    assert.ok((writes[i] as { seq: number }).seq > (writes[i - 1] as { seq: number }).seq);
  }
  await log.close();
});

Deno.test("anchorIntervalMs 0 writes the anchor after every batch; a negative interval is refused", async () => {
  const store = new MemoryAuditStore();
  const key = await testMacKey();
  const anchor = new MemoryAnchorStore();
  let writes = 0;
  const counting = {
    read: () => anchor.read(),
    write(record: NonNullable<MemoryAnchorStore["record"]>) {
      writes++;
      return anchor.write(record);
    },
  };
  const log = await AuditLog.open(store, key, { anchor: counting, anchorIntervalMs: 0 });
  writes = 0;
  for (let i = 1; i <= 5; i++) {
    await log.append(sample(i));
    await log.flush();
  }
  assert.equal(writes, 5);
  await log.close();
  await assert.rejects(
    AuditLog.open(new MemoryAuditStore(), key, { anchorIntervalMs: -1 }),
    RangeError,
  );
});

Deno.test("the anchor follows the head after each batch", async () => {
  const store = new MemoryAuditStore();
  const key = await testMacKey();
  const anchor = new MemoryAnchorStore();
  const log = await AuditLog.open(store, key, { anchor });
  await Promise.all([1, 2, 3].map((i) => log.append(sample(i))));
  await log.flush();
  const record = anchor.record;
  assert.ok(record);
  assert.equal(record.seq, 3);
  assert.equal(record.hash, log.head().hash);
  assert.equal(await verifyAnchor(key, record), true);
  assert.equal(await verifyAnchor(key, { ...record, seq: 2 }), false);
  await log.close();
});

Deno.test("open refuses a log shorter than its anchor or rewritten under it", async () => {
  const store = new MemoryAuditStore();
  const key = await testMacKey();
  const anchor = new MemoryAnchorStore();
  const log = await AuditLog.open(store, key, { anchor });
  await Promise.all([1, 2, 3, 4].map((i) => log.append(sample(i))));
  await log.close();
  const saved = store.entries;

  store.tamper((entries) => entries.slice(0, 2));
  await assert.rejects(
    AuditLog.open(store, key, { anchor }),
    (err) => isHsmError(err, "integrity_error") && /truncated/.test(err.message),
  );
  assert.deepEqual(await (await AuditLog.open(store, key)).verify(), {
    valid: true,
    entries: 2,
    head: entryHash(saved[1] as AuditEntry),
  });

  // Rewritten from seq 3 on with authentic-looking entries from another log.
  const other = new MemoryAuditStore();
  const forger = await AuditLog.open(other, key);
  for (let i = 0; i < 5; i++) await forger.append(sample(100 + i));
  store.tamper(() => other.entries);
  await assert.rejects(
    AuditLog.open(store, key, { anchor }),
    (err) => isHsmError(err, "integrity_error") && /does not match its anchor/.test(err.message),
  );
  assert.deepEqual(
    await (await AuditLog.open(store, key)).verify(),
    {
      valid: true,
      entries: 5,
      head: entryHash(other.entries[4] as AuditEntry),
    },
  );

  anchor.record = { ...(anchor.record as NonNullable<typeof anchor.record>), mac: "0".repeat(96) };
  store.tamper(() => saved);
  await assert.rejects(
    AuditLog.open(store, key, { anchor }),
    (err) => isHsmError(err, "integrity_error"),
  );
});

Deno.test("open refuses a log whose last entry fails its MAC", async () => {
  const store = new MemoryAuditStore();
  const key = await testMacKey();
  const log = await AuditLog.open(store, key);
  await log.append(sample(1));
  await log.close();
  store.tamper((entries) => entries.map((e) => ({ ...e, actor: "mallory" })));
  await assert.rejects(AuditLog.open(store, key), (err) => isHsmError(err, "integrity_error"));
  await assert.rejects(
    AuditLog.open(store, await testMacKey(new Uint8Array(32))),
    (err) => isHsmError(err, "integrity_error"),
  );
});

Deno.test("a closed log refuses appends with audit_unavailable", async () => {
  const log = await AuditLog.open(new MemoryAuditStore(), await testMacKey());
  await log.close();
  await assert.rejects(log.append(sample(1)), (err) => isHsmError(err, "audit_unavailable"));
});

Deno.test("invalid append input is refused before anything is written", async () => {
  const store = new MemoryAuditStore();
  const log = await AuditLog.open(store, await testMacKey());
  await assert.rejects(
    log.append({ ...sample(1), actor: "x".repeat(20000) }),
    (err) => isHsmError(err, "invalid_request"),
  );
  await assert.rejects(log.append({ ...sample(1), actor: 5 as unknown as string }), TypeError);
  await assert.rejects(log.append({ ...sample(1), payload: { n: 1n } }), TypeError);
  const e = await log.append({ ...sample(1), actor: "lone \ud800 surrogate" });
  assert.equal(e.actor, "lone \ufffd surrogate");
  assert.equal(store.appendCalls, 1);
  assert.equal((await log.verify()).valid, true);
  await log.close();
});

Deno.test("list pages through the log with the contract's limit bounds", async () => {
  const log = await AuditLog.open(new MemoryAuditStore(), await testMacKey());
  await Promise.all(Array.from({ length: 12 }, (_, i) => log.append(sample(i))));
  assert.deepEqual((await log.list(0, 5)).map((e) => e.seq), [1, 2, 3, 4, 5]);
  assert.deepEqual((await log.list(10, 1000)).map((e) => e.seq), [11, 12]);
  await assert.rejects(log.list(0, 1001), RangeError);
  await assert.rejects(log.list(-1, 10), RangeError);
  await log.close();
});

Deno.test("concurrent appends on the file store are durable and verify after a reopen", async () => {
  const dir = await tempDir();
  try {
    const key = await testMacKey();
    const path = `${dir}/audit/audit.log`;
    let store = await FileAuditStore.open(path);
    let log = await AuditLog.open(store, key);
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(sample(i))));
    assert.ok(log.stats().batches < 50);
    await log.close();
    await store.close();
    store = await FileAuditStore.open(path);
    log = await AuditLog.open(store, key);
    assert.equal(log.head().seq, 200);
    assert.equal((await log.append(sample(200))).seq, 201);
    assert.deepEqual(await log.verify(), { valid: true, entries: 201, head: log.head().hash });
    await log.close();
    await store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a new log is anchored before its first entry, so a missing anchor means a deleted one", async () => {
  const store = new MemoryAuditStore();
  const key = await testMacKey();
  const anchor = new MemoryAnchorStore();
  const log = await AuditLog.open(store, key, { anchor });
  assert.deepEqual(
    { seq: anchor.record?.seq, hash: anchor.record?.hash },
    { seq: 0, hash: "0".repeat(64) },
  );
  await log.append(sample(1));
  await log.close();
  anchor.record = undefined;
  await assert.rejects(
    AuditLog.open(store, key, { anchor }),
    (err) => isHsmError(err, "integrity_error") && /anchor is missing/.test(err.message),
  );
  const reopened = await AuditLog.open(store, key, { anchor, allowMissingAnchor: true });
  await reopened.close();
});
