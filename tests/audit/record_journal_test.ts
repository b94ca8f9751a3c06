/**
 * The record journal's checkpoint rule: a `journal.checkpoint` ref stands for records no
 * live entry committed yet, never over a live commit, whatever their order; and
 * `headsThrough` lists what a checkpoint for an archive cut must carry.
 */

import assert from "node:assert/strict";
import type { AuditEntry, RecordRef } from "../../src/domain/audit_entry.ts";
import { formatRecordRefs } from "../../src/domain/audit_entry.ts";
import { JOURNAL_CHECKPOINT, RecordJournal } from "../../src/audit/record_journal.ts";

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
