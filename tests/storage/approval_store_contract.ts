/** The ApprovalStore contract, run against every adapter by its own test file. */

import { strict as assert } from "node:assert";
import type { ApprovalListQuery, ApprovalStore } from "../../src/storage/ports.ts";
import type { ApprovalRecord } from "../../src/domain/records.ts";
import type { Database } from "../../src/storage/sqlite/database.ts";
import { assertHsmError, rejectsWith } from "./key_store_contract.ts";
import { nextTimestamp } from "./key_store_fixtures.ts";

/** A live approval store plus the hooks its adapter supports. */
export interface ApprovalFixture {
  readonly store: ApprovalStore;
  /** Closes and reopens over the same data (durable adapters only). */
  readonly reopen?: () => Promise<void>;
  /** Direct database access for damaging rows (SQLite only). */
  readonly database?: () => Database;
  cleanup(): Promise<void>;
}

/** A plausible pending approval (random id) with `changes` applied. */
export function fakeApproval(changes: Partial<ApprovalRecord> = {}): ApprovalRecord {
  const at = changes.createdAt ?? nextTimestamp();
  return {
    id: `apr_${crypto.randomUUID().replaceAll("-", "")}`,
    action: "key.destroy",
    keyId: "key_1",
    requestedBy: "alice",
    approvals: [],
    quorum: 1,
    state: "pending",
    createdAt: at,
    expiresAt: "2099-01-01T00:00:00.000Z",
    params: { reason: "retired", nested: { list: [1, "two", null] } },
    revision: 1,
    mac: "bWFj",
    ...changes,
  };
}

/** A list query at a fixed instant with `changes` applied. */
export function query(changes: Partial<ApprovalListQuery> = {}): ApprovalListQuery {
  return { now: "2026-01-01T00:00:00.000Z", offset: 0, limit: 100, ...changes };
}

/** The record that follows `record` (revision + 1) with `changes` applied. */
export function next(
  record: ApprovalRecord,
  changes: Partial<ApprovalRecord> = {},
): ApprovalRecord {
  return { ...record, revision: record.revision + 1, ...changes };
}

/** Registers the ApprovalStore contract tests for one adapter. */
export function approvalContract(
  name: string,
  open: () => Promise<ApprovalFixture>,
  durable: boolean,
): void {
  function test(title: string, body: (fx: ApprovalFixture) => Promise<void>, ignore = false) {
    Deno.test({
      name: `${name}: ${title}`,
      ignore,
      async fn() {
        const fx = await open();
        try {
          await body(fx);
        } finally {
          await fx.cleanup();
        }
      },
    });
  }

  test("create then get round-trips the approval", async ({ store }) => {
    const record = fakeApproval({ keyId: null, approvals: [{ actor: "bob", at: "t1" }] });
    await store.create(record);
    assert.deepStrictEqual(await store.get(record.id), record);
    assert.equal(await store.get("apr_missing"), undefined);
    assert.equal(await store.get("../escape"), undefined);
  });

  test("create with an existing id is a conflict", async ({ store }) => {
    const record = fakeApproval();
    await store.create(record);
    await rejectsWith(store.create({ ...record, action: "key.rotate" }), "conflict");
    assert.deepStrictEqual(await store.get(record.id), record);
    await assert.rejects(store.create(fakeApproval({ id: "a/b" })), TypeError);
  });

  test("update replaces the approval when the revision follows", async ({ store }) => {
    const record = fakeApproval({ quorum: 2 });
    await store.create(record);
    const approved = next(record, {
      approvals: [{ actor: "bob", at: "t1" }, { actor: "carol", at: "t2" }],
      state: "approved",
    });
    await store.update(approved);
    assert.deepStrictEqual(await store.get(record.id), approved);
  });

  test("a stale revision is a conflict and changes nothing", async ({ store }) => {
    const record = fakeApproval();
    await store.create(record);
    const denied = next(record, { state: "denied" });
    await store.update(denied);
    for (const revision of [2, 1, 5]) {
      await rejectsWith(store.update({ ...record, state: "executed", revision }), "conflict");
    }
    assert.deepStrictEqual(await store.get(record.id), denied);
  });

  test("update of an unknown approval is not_found", async ({ store }) => {
    await rejectsWith(store.update(next(fakeApproval())), "not_found");
  });

  test("of 20 parallel updates from one revision exactly one wins", async ({ store }) => {
    const record = fakeApproval();
    await store.create(record);
    const results = await Promise.allSettled(
      Array.from(
        { length: 20 },
        (_, i) => store.update(next(record, { approvals: [{ actor: `approver ${i}`, at: "t" }] })),
      ),
    );
    const winners = results.flatMap((r, i) => r.status === "fulfilled" ? [i] : []);
    assert.equal(winners.length, 1);
    for (const r of results) if (r.status === "rejected") assertHsmError(r.reason, "conflict");
    const stored = await store.get(record.id);
    assert.equal(stored?.revision, 2);
    assert.equal(stored?.approvals[0]?.actor, `approver ${winners[0]}`);
  });

  test("list filters by state and orders by creation time then id", async ({ store }) => {
    const shared = nextTimestamp();
    const records = [
      fakeApproval({ id: "apr_b", createdAt: shared }),
      fakeApproval({ id: "apr_a", createdAt: shared, state: "approved" }),
      fakeApproval({ state: "pending" }),
      fakeApproval({ state: "expired" }),
    ];
    for (const r of [...records].reverse()) await store.create(r);
    const ids = async (state?: ApprovalRecord["state"]) =>
      (await store.list(query(state === undefined ? {} : { state }))).items.map((r) => r.id);
    assert.deepStrictEqual(await ids(), ["apr_a", "apr_b", records[2]?.id, records[3]?.id]);
    assert.deepStrictEqual(await ids("pending"), ["apr_b", records[2]?.id]);
    assert.deepStrictEqual(await ids("expired"), [records[3]?.id]);
    assert.deepStrictEqual(await ids("executed"), []);
  });

  test("a pending request past its expiry lists and counts as expired", async ({ store }) => {
    const lapsed = fakeApproval({ expiresAt: "2020-01-01T00:00:00.000Z" });
    const live = fakeApproval();
    await store.create(lapsed);
    await store.create(live);
    const now = "2030-01-01T00:00:00.000Z";
    const pending = await store.list(query({ state: "pending", now }));
    assert.deepStrictEqual(pending.items.map((r) => r.id), [live.id]);
    const expired = await store.list(query({ state: "expired", now }));
    assert.deepStrictEqual(expired.items.map((r) => r.id), [lapsed.id]);
    assert.deepStrictEqual(await store.countByState(now), {
      pending: 1,
      approved: 0,
      denied: 0,
      executed: 0,
      expired: 1,
    });
  });

  test("list pages with a total and filters by key and action", async ({ store }) => {
    for (let i = 0; i < 7; i++) {
      await store.create(fakeApproval({ keyId: i % 2 === 0 ? "key_even" : "key_odd" }));
    }
    await store.create(fakeApproval({ keyId: "key_even", action: "key.rotate" }));
    const first = await store.list(query({ keyId: "key_even", action: "key.destroy", limit: 3 }));
    assert.equal(first.total, 4);
    assert.equal(first.items.length, 3);
    const rest = await store.list(
      query({ keyId: "key_even", action: "key.destroy", offset: 3, limit: 3 }),
    );
    assert.equal(rest.items.length, 1);
    assert.ok(!first.items.some((a) => a.id === rest.items[0]?.id));
    assert.equal((await store.list(query({ limit: 100 }))).total, 8);
  });

  test("stored approvals cannot be changed through objects passed in or out", async ({ store }) => {
    const record = fakeApproval({ approvals: [{ actor: "bob", at: "t1" }] });
    const snapshot = structuredClone(record);
    await store.create(record);
    (record.approvals as { actor: string; at: string }[]).push({ actor: "mallory", at: "t" });
    (record.params as Record<string, unknown>).reason = "changed";
    const got = await store.get(record.id);
    assert.ok(got);
    (got.approvals as { actor: string; at: string }[]).pop();
    assert.deepStrictEqual(await store.get(record.id), snapshot);
  });

  test("params are kept as JSON", async ({ store }) => {
    const record = fakeApproval({ params: { version: 3, dropped: undefined } });
    await store.create(record);
    assert.deepStrictEqual((await store.get(record.id))?.params, { version: 3 });
  });

  test("operations after close are refused as unavailable", async ({ store }) => {
    await store.close();
    await rejectsWith(store.list(query()), "unavailable");
    await rejectsWith(store.create(fakeApproval()), "unavailable");
  });

  test("approvals survive close and reopen", async (fx) => {
    const record = fakeApproval();
    await fx.store.create(record);
    const approved = next(record, { state: "approved", approvals: [{ actor: "bob", at: "t" }] });
    await fx.store.update(approved);
    await fx.reopen?.();
    assert.deepStrictEqual(await fx.store.get(record.id), approved);
    assert.deepStrictEqual((await fx.store.list(query({ state: "approved" }))).items, [approved]);
    await fx.store.update(next(approved, { state: "executed" }));
  }, !durable);
}
