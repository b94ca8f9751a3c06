/**
 * The record journal as a unit: which revisions it accepts through commit, write and
 * failure; what counts as interrupted after a crash; and catching up with entries another
 * writer appended to the shared log.
 */

import assert from "node:assert/strict";
import { AuditLog } from "../../src/audit/audit_log.ts";
import {
  recordDigest,
  RecordJournal,
  refOf,
  SERVER_START,
} from "../../src/audit/record_journal.ts";
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
