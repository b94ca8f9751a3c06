/**
 * The record journal as a unit: which revisions it accepts through commit, write and
 * failure; what counts as interrupted after a crash; catching up with entries another
 * writer appended to the shared log; and the checkpoint rule: a `journal.checkpoint` ref
 * stands for records no live entry committed yet, never over a live commit, whatever
 * their order, and `headsThrough` lists what a checkpoint for an archive cut must carry.
 */

import assert from "node:assert/strict";
import { AuditLog } from "../../src/audit/audit_log.ts";
import {
  JOURNAL_CHECKPOINT,
  recordDigest,
  RecordJournal,
  refOf,
  SERVER_START,
} from "../../src/audit/record_journal.ts";
import type { AuditEntry, RecordRef } from "../../src/domain/audit_entry.ts";
import { formatRecordRefs } from "../../src/domain/audit_entry.ts";
import { MemoryAuditStore } from "../../src/storage/memory/audit_store.ts";
import { isHsmError } from "../../src/domain/errors.ts";
import { testMacKey } from "./_helpers.ts";

const rec = (revision: number) => ({ id: "k1", revision, mac: `mac-${revision}` });

Deno.test("an in-flight write accepts old and new; settled, only the new; failed, both", async () => {
  const store = new MemoryAuditStore();
  const key = await testMacKey();
  const log = await AuditLog.open(store, key);
  const journal = new RecordJournal();
  const first = await log.append({
    actor: "a",
    action: "key.create",
    result: "ok",
    records: [refOf("key", rec(1))],
  });
  journal.observe(first);
  assert.equal(journal.mismatch("key", rec(1)), undefined);
  journal.expect([refOf("key", rec(2))], 2);
  assert.equal(journal.mismatch("key", rec(1)), undefined, "old row during the write");
  assert.equal(journal.mismatch("key", rec(2)), undefined, "new row during the write");
  journal.settle(refOf("key", rec(2)));
  assert.equal(journal.mismatch("key", rec(1))?.reason, "record_rollback");
  assert.equal(
    journal.mismatch("key", { id: "k2", revision: 1, mac: "x" })?.reason,
    "record_unjournaled",
  );
  assert.throws(() => journal.check("key", rec(1)), (e) => isHsmError(e, "integrity_error"));
  assert.equal(recordDigest("mac-1").length, 32);
});

Deno.test("writes committed after the last start without a clean stop count as interrupted", async () => {
  const store = new MemoryAuditStore();
  const key = await testMacKey();
  const log = await AuditLog.open(store, key);
  await log.append({
    actor: "s",
    action: "key.create",
    result: "ok",
    records: [refOf("key", rec(1))],
  });
  await log.append({ actor: "system", action: SERVER_START, result: "ok" });
  await log.append({
    actor: "s",
    action: "key.rotate",
    result: "ok",
    records: [refOf("key", rec(2))],
  });
  const journal = await RecordJournal.load(store, key);
  assert.deepEqual(journal.interrupted().map((r) => r.revision), [2]);
  assert.equal(journal.previousDigest(refOf("key", rec(2))), recordDigest("mac-1"));
});

Deno.test("a journal catches up with entries another writer appended", async () => {
  const store = new MemoryAuditStore();
  const key = await testMacKey();
  const log = await AuditLog.open(store, key);
  await log.append({
    actor: "a",
    action: "key.create",
    result: "ok",
    records: [refOf("key", rec(1))],
  });
  const journal = await RecordJournal.load(store, key);
  await log.append({
    actor: "b",
    action: "key.rotate",
    result: "ok",
    records: [refOf("key", rec(2))],
  });
  assert.equal(journal.mismatch("key", rec(2))?.reason, "record_rollback", "not seen yet");
  await journal.verify("key", rec(2));
  await assert.rejects(journal.verify("key", rec(1)), (e) => isHsmError(e, "integrity_error"));
});

const ZERO = "0".repeat(64);

function entry(seq: number, action: string, refs: RecordRef[], result = "ok"): AuditEntry {
  return {
    seq,
    ts: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
    actor: "a",
    action,
    key_id: null,
    result,
    payload_hash: ZERO,
    prev_hash: ZERO,
    mac: "0".repeat(96),
    records: formatRecordRefs(refs),
  };
}

const ref = (id: string, revision: number, digest: string): RecordRef => ({
  kind: "key",
  id,
  revision,
  digest: digest.repeat(32).slice(0, 32),
});

Deno.test("a checkpoint commits records with no live commit, and never overrides one", () => {
  const journal = new RecordJournal();
  journal.observe(entry(10, "key.rotate", [ref("live", 3, "c")]));
  journal.observe(entry(11, JOURNAL_CHECKPOINT, [ref("archived", 2, "b"), ref("live", 2, "a")]));
  journal.observe(entry(12, "key.revoke", [ref("later", 5, "e")]));
  journal.observe(entry(13, JOURNAL_CHECKPOINT, [ref("later", 4, "d")]));
  const digests = new Map(journal.committed("key").map((r) => [r.id, r.digest]));
  assert.equal(digests.get("archived"), "b".repeat(32));
  assert.equal(digests.get("live"), "c".repeat(32), "the live commit stays");
  assert.equal(digests.get("later"), "e".repeat(32), "a later checkpoint does not regress it");
  journal.observe(entry(14, "key.rotate", [ref("archived", 3, "f")]));
  assert.equal(
    journal.committed("key").find((r) => r.id === "archived")?.digest,
    "f".repeat(32),
    "a commit after the checkpoint wins",
  );
});

Deno.test("headsThrough lists records last committed at or before a seq, with accepted digests", () => {
  const journal = new RecordJournal();
  journal.observe(entry(1, "key.create", [ref("old", 1, "a")]));
  journal.observe(entry(2, "key.rotate", [ref("old", 2, "b")]));
  journal.observe(entry(3, "key.rotate", [ref("old", 2, "b")], "failed:conflict"));
  journal.observe(entry(4, "key.create", [ref("new", 1, "c")]));
  const heads = journal.headsThrough(3);
  assert.deepEqual(heads.map((h) => h.ref.id), ["old"]);
  assert.deepEqual(
    heads[0]?.accepted,
    ["b".repeat(32), "a".repeat(32)],
    "the failed write keeps both",
  );
});

Deno.test("a first revision whose write failed is known as a failed creation until recommitted", () => {
  const journal = new RecordJournal();
  const created = { ...ref("p1", 1, "a"), kind: "policy" as const };
  journal.observe(entry(1, "policy.create", [created]));
  assert.equal(journal.creationFailed(created), false);
  journal.observe(entry(2, "journal.reconcile", [created], "failed:interrupted"));
  assert.equal(journal.creationFailed(created), true);
  // A write this process has in flight is not a failure.
  const pending = { ...ref("p2", 1, "b"), kind: "policy" as const };
  journal.expect([pending], 3);
  assert.equal(journal.creationFailed(pending), false);
  // Committed again (a new revision), the record exists: no longer a failed creation.
  const next = { ...ref("p1", 2, "c"), kind: "policy" as const };
  journal.observe(entry(4, "policy.update", [next]));
  assert.equal(journal.creationFailed(next), false);
  assert.equal(journal.creationFailed(created), false);
});
