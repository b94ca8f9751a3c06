/**
 * The record journal with two nodes sharing one PostgreSQL audit log: a revision
 * committed on node A is accepted on node B (catching up on demand); while A's store
 * write may be in flight B also accepts the previous revision, for the grace period only.
 */

import assert from "node:assert/strict";
import { AuditLog } from "../../src/audit/audit_log.ts";
import { RecordJournal, refOf } from "../../src/audit/record_journal.ts";
import { isHsmError } from "../../src/domain/errors.ts";
import { PostgresAnchorStore, PostgresAuditStore } from "../../src/storage/postgres/audit_store.ts";
import { openPgFixture, pgTest } from "../storage/postgres/_fixture.ts";
import { testMacKey } from "./_helpers.ts";

const rec = (id: string, revision: number) => ({ id, revision, mac: `mac-${id}-${revision}` });

async function node(pg: Awaited<ReturnType<typeof openPgFixture>>, name: string) {
  const database = name === "node-a" ? pg.database : await pg.open(name);
  const store = new PostgresAuditStore(database);
  const macKey = await testMacKey();
  const log = await AuditLog.open(store, macKey, { anchor: new PostgresAnchorStore(database) });
  return { log, journal: await RecordJournal.load(store, macKey) };
}

pgTest("a revision committed on node A is accepted on node B, an older one refused", async () => {
  const pg = await openPgFixture("node-a");
  try {
    const a = await node(pg, "node-a");
    const b = await node(pg, "node-b");
    const commit = async (revision: number) => {
      const ref = refOf("key", rec("k1", revision));
      const entry = await a.log.append({
        actor: "alice",
        action: "key.rotate",
        result: "ok",
        records: [ref],
      });
      a.journal.expect([ref], entry.seq);
      a.journal.settle(ref); // A's store write landed
    };
    await commit(1);
    await b.journal.verify("key", rec("k1", 1)); // unknown on B: caught up from the log
    await commit(2);
    await b.journal.verify("key", rec("k1", 2));
    await assert.rejects(
      b.journal.verify("key", rec("k1", 1)),
      (err) => isHsmError(err, "integrity_error"),
    );
    await a.log.close();
    await b.log.close();
  } finally {
    await pg.cleanup();
  }
});

pgTest("node B accepts the previous revision only while A's write may be in flight", async () => {
  const pg = await openPgFixture("node-a");
  try {
    const a = await node(pg, "node-a");
    const b = await node(pg, "node-b");
    let now = 1_000_000;
    b.journal.acceptInFlight(5000, () => now);
    for (const revision of [1, 2]) {
      await a.log.append({
        actor: "alice",
        action: "key.rotate",
        result: "ok",
        records: [refOf("key", rec("k1", revision))],
      });
      if (revision === 1) await b.journal.verify("key", rec("k1", 1));
    }
    // B learns of revision 2 (catching up for another record) before A's store write.
    await a.log.append({
      actor: "alice",
      action: "key.create",
      result: "ok",
      records: [refOf("key", rec("k2", 1))],
    });
    await b.journal.verify("key", rec("k2", 1));
    await b.journal.verify("key", rec("k1", 1)); // in flight: still accepted
    now += 5001;
    await assert.rejects(
      b.journal.verify("key", rec("k1", 1)),
      (err) => isHsmError(err, "integrity_error"),
      "past the grace the previous revision is a rollback",
    );
    await b.journal.verify("key", rec("k1", 2));
    await a.log.close();
    await b.log.close();
  } finally {
    await pg.cleanup();
  }
});
