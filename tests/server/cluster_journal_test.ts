/**
 * Reconciling a dead node: a revision it committed in the shared log but never wrote to
 * the store is marked `failed:interrupted`, so every node accepts the stored revision
 * again (and a policy creation that never reached the store is known to have failed);
 * writes that did land, and records changed since, are left alone.
 */

import assert from "node:assert/strict";
import { AuditLog } from "../../src/audit/audit_log.ts";
import { RecordJournal, refOf } from "../../src/audit/record_journal.ts";
import { MemoryApprovalStore } from "../../src/storage/memory/approval_store.ts";
import { PostgresAnchorStore, PostgresAuditStore } from "../../src/storage/postgres/audit_store.ts";
import { PostgresKeyStore } from "../../src/storage/postgres/key_store.ts";
import { PostgresPolicyStore } from "../../src/storage/postgres/policy_store.ts";
import { policyJournalRecord, type PolicyVersionRecord } from "../../src/domain/policies.ts";
import { fakePolicy, nextPolicy } from "../storage/policy_store_contract.ts";
import { reconcileDeadNode } from "../../src/server/cluster_journal.ts";
import { testMacKey } from "../audit/_helpers.ts";
import { fakeRecord, fakeVersion, nextRecord } from "../storage/key_store_fixtures.ts";
import { openPgFixture, pgTest } from "../storage/postgres/_fixture.ts";

pgTest("a dead node's committed but unwritten revision is reconciled, nothing else", async () => {
  const pg = await openPgFixture("node-a");
  try {
    const macKey = await testMacKey();
    const keys = new PostgresKeyStore(pg.database);
    const open = async (name: string) => {
      const database = name === "node-a" ? pg.database : await pg.open(name);
      const store = new PostgresAuditStore(database);
      const log = await AuditLog.open(store, macKey, {
        anchor: new PostgresAnchorStore(database),
      });
      return { store, log, journal: await RecordJournal.load(store, macKey) };
    };
    const a = await open("node-a");
    const dead = await open("node-dead");
    const commit = async (record: ReturnType<typeof fakeRecord>) => {
      const ref = refOf("key", record);
      const entry = await dead.log.append({
        actor: "alice",
        action: "key.rotate",
        result: "ok",
        records: [ref],
      });
      dead.journal.expect([ref], entry.seq);
    };
    // Landed: created and rotated. Interrupted: the second rotation of `stuck`.
    const landed = fakeRecord();
    await commit(landed);
    await keys.create(landed, fakeVersion(landed, 1));
    const stuck = fakeRecord();
    await commit(stuck);
    await keys.create(stuck, fakeVersion(stuck, 1));
    await commit(nextRecord(stuck));
    await dead.log.close();

    await assert.rejects(a.journal.verify("key", stuck), "refused before reconciling");
    const failed = await reconcileDeadNode({ nodeId: "node-dead", startSeq: 0 }, {
      entriesOf: (node, after) => a.store.entriesOf(node, after),
      journal: a.journal,
      keys,
      approvals: new MemoryApprovalStore(),
      auditLog: a.log,
    });
    assert.deepEqual(failed.map((r) => r.id), [stuck.id]);
    await a.journal.verify("key", stuck);
    await a.journal.verify("key", landed);
    const last = await a.store.last();
    assert.equal(last?.action, "journal.reconcile");
    assert.equal(last?.result, "failed:interrupted");
    // Another node catching up from the log accepts the stored revision too.
    const b = await open("node-b");
    await b.journal.verify("key", stuck);
    // A second claim finds nothing left to do.
    assert.deepEqual(
      await reconcileDeadNode({ nodeId: "node-dead", startSeq: 0 }, {
        entriesOf: (node, after) => a.store.entriesOf(node, after),
        journal: a.journal,
        keys,
        approvals: new MemoryApprovalStore(),
        auditLog: a.log,
      }),
      [],
    );
    await a.log.close();
    await b.log.close();
  } finally {
    await pg.cleanup();
  }
});

pgTest(
  "a dead node's policy writes are reconciled: an unwritten update, and a creation lost",
  async () => {
    const pg = await openPgFixture("node-a");
    try {
      const macKey = await testMacKey();
      const policies = new PostgresPolicyStore(pg.database);
      const open = async (name: string) => {
        const database = name === "node-a" ? pg.database : await pg.open(name);
        const store = new PostgresAuditStore(database);
        const log = await AuditLog.open(store, macKey, {
          anchor: new PostgresAnchorStore(database),
        });
        return { store, log, journal: await RecordJournal.load(store, macKey) };
      };
      const a = await open("node-a");
      const dead = await open("node-dead");
      const commit = async (policy: PolicyVersionRecord) => {
        const ref = refOf("policy", policyJournalRecord(policy));
        const entry = await dead.log.append({
          actor: "alice",
          action: "policy.update",
          result: "ok",
          records: [ref],
        });
        dead.journal.expect([ref], entry.seq);
        return ref;
      };
      const kept = fakePolicy();
      await commit(kept);
      await policies.put(kept);
      await commit(nextPolicy(kept)); // never written
      const lost = await commit(fakePolicy()); // a creation never written
      await dead.log.close();

      const reconcile = () =>
        reconcileDeadNode({ nodeId: "node-dead", startSeq: 0 }, {
          entriesOf: (node, after) => a.store.entriesOf(node, after),
          journal: a.journal,
          keys: new PostgresKeyStore(pg.database),
          approvals: new MemoryApprovalStore(),
          policies,
          auditLog: a.log,
        });
      await a.journal.catchUp();
      assert.equal(a.journal.creationFailed(lost), false, "not yet: the node may still write");
      assert.deepEqual((await reconcile()).map((r) => r.id).sort(), [kept.id, lost.id].sort());
      await a.journal.verify("policy", policyJournalRecord(kept));
      assert.equal(a.journal.creationFailed(lost), true);
      // Another node rebuilding its journal from the log sees both as failed too.
      const b = await open("node-b");
      await b.journal.verify("policy", policyJournalRecord(kept));
      assert.equal(b.journal.creationFailed(lost), true);
      assert.deepEqual(await reconcile(), [], "a second claim finds nothing left to do");
      await a.log.close();
      await b.log.close();
    } finally {
      await pg.cleanup();
    }
  },
);
