/**
 * The KeyStore contract: one suite of behaviours every adapter must show, registered
 * as Deno tests under the adapter's name. Tamper tests only check that damage at rest
 * is surfaced faithfully (changed bytes come back changed, unparsable data is an
 * `integrity_error`); MAC verification belongs to the service layer.
 */

import { strict as assert } from "node:assert";
import { HsmError, type HsmErrorCode } from "../../src/domain/errors.ts";
import type { KeyStore } from "../../src/storage/ports.ts";
import type { KeyRecord } from "../../src/domain/records.ts";
import {
  fakeRecord,
  fakeVersion,
  type KeyStoreFixture,
  type KeyStoreOpener,
  nextRecord,
  nextTimestamp,
  randomId,
} from "./key_store_fixtures.ts";

/** Which optional contract parts an adapter supports. */
export interface KeyStoreContractOptions {
  /** Data survives close and reopen (the fixture has `reopen`). */
  readonly durable?: boolean;
  /** The fixture has `tamper`, `corruptVersion` and `corruptRecord`. */
  readonly tamperable?: boolean;
}

/** Registers the KeyStore contract tests for one adapter. */
export function keyStoreContract(
  name: string,
  open: KeyStoreOpener,
  options: KeyStoreContractOptions = {},
): void {
  function test(
    title: string,
    body: (fx: KeyStoreFixture) => Promise<void>,
    ignore = false,
  ): void {
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

  test("create then get round-trips the record and its first version", async ({ store }) => {
    const record = fakeRecord({ tags: { env: "prod", team: "core" }, dualControl: true });
    const first = fakeVersion(record, 1);
    await store.create(record, first);
    assert.deepStrictEqual(await store.get(record.id), record);
    assert.deepStrictEqual(await store.getVersion(record.id, 1), first);
    assert.deepStrictEqual(await store.listVersions(record.id), [first]);
  });

  test("origin, rotation period and minimum version round-trip and can be cleared", async (fx) => {
    const { store } = fx;
    const record = fakeRecord({ origin: "imported", rotationPeriod: "P90D" });
    await store.create(record, fakeVersion(record, 1));
    assert.deepStrictEqual(await store.get(record.id), record);
    const limited = nextRecord(record, { currentVersion: 2, minDecryptionVersion: 2 });
    await store.update(limited, fakeVersion(record, 2));
    assert.deepStrictEqual(await store.get(record.id), limited);
    const { rotationPeriod: _period, ...cleared } = nextRecord(limited, {});
    await store.update(cleared);
    assert.deepStrictEqual(await store.get(record.id), cleared);
    if (fx.reopen !== undefined) {
      await fx.reopen();
      assert.deepStrictEqual(await fx.store.get(record.id), cleared);
    }
  });

  test("a rollback generation keeps its source version", async ({ store }) => {
    const record = fakeRecord();
    await store.create(record, fakeVersion(record, 1));
    const v2 = fakeVersion(record, 2, { sourceVersion: 1 });
    await store.update(nextRecord(record, { currentVersion: 2 }), v2);
    assert.deepStrictEqual(await store.getVersion(record.id, 2), v2);
    assert.equal((await store.getVersion(record.id, 1))?.sourceVersion, undefined);
  });

  test("create with an existing id is a conflict and keeps the first record", async ({ store }) => {
    const record = fakeRecord();
    const first = fakeVersion(record, 1);
    await store.create(record, first);
    const other = fakeRecord({ id: record.id, name: "impostor" });
    await rejectsWith(store.create(other, fakeVersion(other, 1)), "conflict");
    assert.deepStrictEqual(await store.get(record.id), record);
    assert.deepStrictEqual(await store.listVersions(record.id), [first]);
  });

  test("of 20 parallel creations one duplicate id fails alone", async ({ store }) => {
    const taken = fakeRecord();
    await store.create(taken, fakeVersion(taken, 1));
    const records = Array.from(
      { length: 20 },
      (_, i) => i === 7 ? fakeRecord({ id: taken.id, name: "dup" }) : fakeRecord(),
    );
    const results = await Promise.allSettled(
      records.map((r) => store.create(r, fakeVersion(r, 1))),
    );
    results.forEach((r, i) => {
      if (i === 7) {
        assert.equal(r.status, "rejected");
        if (r.status === "rejected") assertHsmError(r.reason, "conflict");
      } else assert.equal(r.status, "fulfilled", `creation ${i}`);
    });
    for (const [i, r] of records.entries()) {
      if (i !== 7) assert.deepStrictEqual(await store.get(r.id), r);
    }
    assert.deepStrictEqual(await store.get(taken.id), taken);
  });

  test("create rejects ids that are not safe path segments", async ({ store }) => {
    for (const id of ["../escape", "a/b", "", "x".repeat(65), "dot.dot", "sp ace"]) {
      const record = fakeRecord({ id });
      await assert.rejects(store.create(record, fakeVersion(record, 1)), TypeError);
      assert.equal(await store.get(id), undefined);
    }
  });

  test("reads of an unknown key return nothing", async ({ store }) => {
    assert.equal(await store.get("missing"), undefined);
    assert.equal(await store.getVersion("missing", 1), undefined);
    assert.deepStrictEqual(await store.listVersions("missing"), []);
    const record = fakeRecord();
    await store.create(record, fakeVersion(record, 1));
    assert.equal(await store.getVersion(record.id, 2), undefined);
  });

  test("versions append and are listed ascending", async ({ store }) => {
    let record = fakeRecord();
    const versions = [fakeVersion(record, 1)];
    await store.create(record, at(versions, 0));
    for (const n of [2, 3, 4, 5]) {
      record = nextRecord(record, { currentVersion: n });
      const v = fakeVersion(record, n);
      versions.push(v);
      await store.update(record, v);
    }
    assert.deepStrictEqual(await store.listVersions(record.id), versions);
    assert.deepStrictEqual(await store.get(record.id), record);
  });

  test("update with a new version moves the pointer and keeps old versions", async ({ store }) => {
    const record = fakeRecord();
    const v1 = fakeVersion(record, 1);
    await store.create(record, v1);
    const rotated = nextRecord(record, { currentVersion: 2 });
    const v2 = fakeVersion(record, 2);
    await store.update(rotated, v2);
    assert.equal((await store.get(record.id))?.currentVersion, 2);
    assert.equal((await store.get(record.id))?.revision, 2);
    assert.deepStrictEqual(await store.getVersion(record.id, 1), v1);
    assert.deepStrictEqual(await store.getVersion(record.id, 2), v2);
  });

  test("update without a version replaces only the record", async ({ store }) => {
    const record = fakeRecord({ tags: { a: "1" } });
    const v1 = fakeVersion(record, 1);
    await store.create(record, v1);
    const revoked = nextRecord(record, { state: "revoked", tags: { b: "2" } });
    await store.update(revoked);
    assert.deepStrictEqual(await store.get(record.id), revoked);
    assert.deepStrictEqual(await store.listVersions(record.id), [v1]);
  });

  test("a stale revision is a conflict and writes nothing", async ({ store }) => {
    const record = fakeRecord();
    const v1 = fakeVersion(record, 1);
    await store.create(record, v1);
    const winner = nextRecord(record, { currentVersion: 2 });
    await store.update(winner, fakeVersion(record, 2));
    for (const revision of [2, 1, 4]) {
      const stale = nextRecord(record, { currentVersion: 3, name: "stale", revision });
      await rejectsWith(store.update(stale, fakeVersion(record, 3)), "conflict");
    }
    assert.deepStrictEqual(await store.get(record.id), winner);
    assert.equal(await store.getVersion(record.id, 3), undefined);
    assert.deepStrictEqual((await store.listVersions(record.id)).map((v) => v.version), [1, 2]);
  });

  test("adding an existing version number is a conflict and writes nothing", async ({ store }) => {
    const record = fakeRecord();
    const v1 = fakeVersion(record, 1);
    await store.create(record, v1);
    await rejectsWith(store.update(nextRecord(record), fakeVersion(record, 1)), "conflict");
    assert.deepStrictEqual(await store.get(record.id), record);
    assert.deepStrictEqual(await store.getVersion(record.id, 1), v1);
  });

  test("update of an unknown key is not_found", async ({ store }) => {
    const record = nextRecord(fakeRecord());
    await rejectsWith(store.update(record, fakeVersion(record, 2)), "not_found");
    await rejectsWith(store.update(record), "not_found");
    assert.equal(await store.get(record.id), undefined);
  });

  test("of 20 parallel updates from one revision exactly one wins", async ({ store }) => {
    const record = fakeRecord();
    await store.create(record, fakeVersion(record, 1));
    const attempts = Array.from({ length: 20 }, (_, i) => {
      const next = nextRecord(record, { currentVersion: 2, name: `writer ${i}` });
      return store.update(next, fakeVersion(record, 2, { createdAt: `writer ${i}` }));
    });
    const results = await Promise.allSettled(attempts);
    const won = results.filter((r) => r.status === "fulfilled");
    assert.equal(won.length, 1);
    for (const r of results) {
      if (r.status === "rejected") assertHsmError(r.reason, "conflict");
    }
    const stored = await store.get(record.id);
    const winner = results.findIndex((r) => r.status === "fulfilled");
    assert.equal(stored?.name, `writer ${winner}`);
    assert.equal(stored?.revision, 2);
    assert.equal((await store.getVersion(record.id, 2))?.createdAt, `writer ${winner}`);
    assert.equal((await store.listVersions(record.id)).length, 2);
  });

  test("20 writers retrying on conflict all land with consecutive revisions", async ({ store }) => {
    const record = fakeRecord();
    await store.create(record, fakeVersion(record, 1));
    const landed: number[] = [];
    async function writer(i: number): Promise<void> {
      for (;;) {
        const current = await store.get(record.id);
        assert.ok(current);
        const n = current.currentVersion + 1;
        const next = nextRecord(current, { currentVersion: n });
        try {
          await store.update(next, fakeVersion(current, n, { createdAt: `writer ${i}` }));
          landed.push(next.revision);
          return;
        } catch (err) {
          assertHsmError(err, "conflict");
        }
      }
    }
    await Promise.all(Array.from({ length: 20 }, (_, i) => writer(i)));
    assert.deepStrictEqual(landed.toSorted((a, b) => a - b), range(2, 21));
    const stored = await store.get(record.id);
    assert.equal(stored?.revision, 21);
    assert.equal(stored?.currentVersion, 21);
    const versions = await store.listVersions(record.id);
    assert.deepStrictEqual(versions.map((v) => v.version), range(1, 21));
    const writers = new Set(versions.slice(1).map((v) => v.createdAt));
    assert.equal(writers.size, 20);
  });

  test("list filters by algorithm, state and tag with matching totals", async ({ store }) => {
    const specs: Partial<KeyRecord>[] = [
      { algorithm: "AES-256-GCM", state: "active", tags: { env: "prod" } },
      { algorithm: "AES-256-GCM", state: "revoked", tags: { env: "dev" } },
      { algorithm: "EC-P256", usage: ["sign", "verify"], state: "active", tags: { env: "prod" } },
      { algorithm: "EC-P256", usage: ["sign", "verify"], state: "staged", tags: {} },
      { algorithm: "Ed25519", usage: ["sign", "verify"], state: "active", tags: { env: "prod2" } },
    ];
    const records = specs.map((s) => fakeRecord(s));
    for (const r of records) await store.create(r, fakeVersion(r, 1));
    const page = (q: object) => store.list({ offset: 0, limit: 100, ...q });
    const ids = (rs: KeyRecord[]) => rs.map((r) => r.id);

    const all = await page({});
    assert.equal(all.total, 5);
    assert.deepStrictEqual(all.items, records);
    const aes = await page({ algorithm: "AES-256-GCM" });
    assert.deepStrictEqual(ids(aes.items), ids([at(records, 0), at(records, 1)]));
    assert.equal(aes.total, 2);
    const active = await page({ state: "active" });
    assert.deepStrictEqual(
      ids(active.items),
      ids([at(records, 0), at(records, 2), at(records, 4)]),
    );
    const prod = await page({ tag: { key: "env", value: "prod" } });
    assert.deepStrictEqual(ids(prod.items), ids([at(records, 0), at(records, 2)]));
    assert.equal(prod.total, 2);
    const both = await page({ algorithm: "EC-P256", tag: { key: "env", value: "prod" } });
    assert.deepStrictEqual(ids(both.items), [at(records, 2).id]);
    const none = await page({ state: "destroyed" });
    assert.deepStrictEqual(none, { items: [], total: 0 });
    const noTag = await page({ tag: { key: "__proto__", value: "x" } });
    assert.equal(noTag.total, 0);
  });

  test("list follows tag changes made by update", async ({ store }) => {
    const record = fakeRecord({ tags: { env: "dev" } });
    await store.create(record, fakeVersion(record, 1));
    await store.update(nextRecord(record, { tags: { env: "prod", owner: "ops" } }));
    const q = (key: string, value: string) =>
      store.list({ offset: 0, limit: 10, tag: { key, value } });
    assert.equal((await q("env", "dev")).total, 0);
    assert.equal((await q("env", "prod")).total, 1);
    assert.equal((await q("owner", "ops")).total, 1);
  });

  test("list pages 27 keys in a stable order by creation time then id", async ({ store }) => {
    const shared = nextTimestamp();
    const records: KeyRecord[] = [];
    for (let i = 0; i < 27; i++) {
      // Every third key shares a timestamp, so the id decides their order.
      const r = fakeRecord(i % 3 === 0 ? { createdAt: shared, updatedAt: shared } : {});
      records.push(r);
    }
    // Insert in a shuffled order: creation order must not depend on insertion order.
    for (const r of [...records].reverse()) await store.create(r, fakeVersion(r, 1));
    const expected = records.toSorted((a, b) =>
      a.createdAt !== b.createdAt
        ? (a.createdAt < b.createdAt ? -1 : 1)
        : (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
    );
    const seen: KeyRecord[] = [];
    for (let offset = 0; offset < 30; offset += 10) {
      const page = await store.list({ offset, limit: 10 });
      assert.equal(page.total, 27);
      seen.push(...page.items);
    }
    assert.deepStrictEqual(seen.map((r) => r.id), expected.map((r) => r.id));
    const again = await store.list({ offset: 5, limit: 7 });
    assert.deepStrictEqual(again.items.map((r) => r.id), expected.slice(5, 12).map((r) => r.id));
    assert.deepStrictEqual(await store.list({ offset: 27, limit: 10 }), { items: [], total: 27 });
    assert.deepStrictEqual((await store.list({ offset: 0, limit: 0 })).items, []);
    await assert.rejects(store.list({ offset: -1, limit: 10 }), RangeError);
  });

  test("keyset pages from a cursor walk 27 keys forward and back like offset pages", async ({ store }) => {
    const shared = nextTimestamp();
    const records: KeyRecord[] = [];
    for (let i = 0; i < 27; i++) {
      records.push(fakeRecord(i % 4 === 0 ? { createdAt: shared, updatedAt: shared } : {}));
    }
    for (const r of [...records].reverse()) await store.create(r, fakeVersion(r, 1));
    const expected = (await store.list({ offset: 0, limit: 100 })).items.map((r) => r.id);
    assert.equal(expected.length, 27);

    const forward: string[] = [];
    let after: KeyRecord | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await store.list({ offset: 0, limit: 10, ...(after ? { after } : {}) });
      assert.equal(page.total, 27, "a cursor does not change the total");
      forward.push(...page.items.map((r) => r.id));
      after = page.items.at(-1);
      if (page.items.length < 10) break;
    }
    assert.deepStrictEqual(forward, expected);

    const backward: string[] = [];
    let before: KeyRecord | undefined = records.find((r) => r.id === expected.at(-1));
    backward.unshift(expected.at(-1) as string);
    for (let pages = 0; pages < 10 && before !== undefined; pages++) {
      const page = await store.list({ offset: 0, limit: 10, before });
      assert.ok(page.items.length <= 10);
      backward.unshift(...page.items.map((r) => r.id));
      before = page.items[0];
      if (page.items.length < 10) break;
    }
    assert.deepStrictEqual(backward, expected);

    const middle = await store.list({ offset: 0, limit: 3, after: at(records, 0) });
    const from = expected.indexOf(at(records, 0).id) + 1;
    assert.deepStrictEqual(middle.items.map((r) => r.id), expected.slice(from, from + 3));
    const beforeFirst = await store.list({
      offset: 0,
      limit: 5,
      before: { createdAt: "0000", id: "a" },
    });
    assert.deepStrictEqual(beforeFirst, { items: [], total: 27 });
    await assert.rejects(
      store.list({ offset: 1, limit: 5, after: at(records, 0) }),
      RangeError,
    );
    await assert.rejects(
      store.list({ offset: 0, limit: 5, after: at(records, 0), before: at(records, 1) }),
      RangeError,
    );
  });

  test("with a known total every offset page, near the end too, holds the same keys", async ({ store }) => {
    const shared = nextTimestamp();
    for (let i = 0; i < 23; i++) {
      const r = fakeRecord(i % 3 === 0 ? { createdAt: shared, updatedAt: shared } : {});
      await store.create(r, fakeVersion(r, 1));
    }
    const all = (await store.list({ offset: 0, limit: 100 })).items.map((r) => r.id);
    assert.equal(all.length, 23);
    for (const limit of [1, 5, 10]) {
      for (let offset = 0; offset <= 25; offset++) {
        const page = await store.list({ offset, limit, total: 23 });
        assert.equal(page.total, 23);
        assert.deepStrictEqual(
          page.items.map((r) => r.id),
          all.slice(offset, offset + limit),
          `offset ${offset}, limit ${limit}`,
        );
      }
    }
    const filtered = await store.list({ offset: 0, limit: 5, algorithm: "AES-256-GCM" });
    const hinted = await store.list({
      offset: 0,
      limit: 5,
      algorithm: "AES-256-GCM",
      total: filtered.total,
    });
    assert.deepStrictEqual(hinted, filtered);
    await assert.rejects(store.list({ offset: 0, limit: 5, total: -1 }), RangeError);
    await assert.rejects(store.list({ offset: 0, limit: 5, total: 1.5 }), RangeError);
  });

  test("a cursor combines with filters and the name search", async ({ store }) => {
    const specs: Partial<KeyRecord>[] = [
      { name: "Payments signing", state: "active" },
      { name: "payments-db", state: "revoked" },
      { name: "PAYMENTS archive", state: "active" },
      { name: "billing", state: "active" },
      { name: "Zahlungen Ärger payments", state: "active" },
    ];
    const records = specs.map((s) => fakeRecord(s));
    for (const r of records) await store.create(r, fakeVersion(r, 1));
    const names = (page: { items: KeyRecord[] }) => page.items.map((r) => r.name);

    const all = await store.list({ offset: 0, limit: 10, nameContains: "payMENTS" });
    assert.deepStrictEqual(names(all), [
      "Payments signing",
      "payments-db",
      "PAYMENTS archive",
      "Zahlungen Ärger payments",
    ]);
    assert.equal(all.total, 4);
    const active = await store.list({
      offset: 0,
      limit: 1,
      nameContains: "payments",
      state: "active",
      after: at(records, 0),
    });
    assert.deepStrictEqual(names(active), ["PAYMENTS archive"]);
    assert.equal(active.total, 3);
    // Only ASCII letters are folded, the same in every adapter.
    const umlaut = await store.list({ offset: 0, limit: 10, nameContains: "Ärger" });
    assert.deepStrictEqual(names(umlaut), ["Zahlungen Ärger payments"]);
    assert.equal((await store.list({ offset: 0, limit: 10, nameContains: "äRGER" })).total, 0);
    const wildcard = await store.list({ offset: 0, limit: 10, nameContains: "%" });
    assert.deepStrictEqual(wildcard, { items: [], total: 0 });
  });

  test("destroy removes every version but keeps the destroyed record", async ({ store }) => {
    const record = fakeRecord({ tags: { env: "prod" } });
    await store.create(record, fakeVersion(record, 1));
    const rotated = nextRecord(record, { currentVersion: 2 });
    await store.update(rotated, fakeVersion(record, 2));
    const destroyed = nextRecord(rotated, { state: "destroyed" });
    await store.destroy(destroyed);
    assert.deepStrictEqual(await store.get(record.id), destroyed);
    assert.deepStrictEqual(await store.listVersions(record.id), []);
    assert.equal(await store.getVersion(record.id, 1), undefined);
    assert.equal(await store.getVersion(record.id, 2), undefined);
    assert.equal((await store.list({ offset: 0, limit: 10, state: "destroyed" })).total, 1);
    const reuse = fakeRecord({ id: record.id });
    await rejectsWith(store.create(reuse, fakeVersion(reuse, 1)), "conflict");
  });

  test("destroy checks the revision and the key", async ({ store }) => {
    const record = fakeRecord();
    const v1 = fakeVersion(record, 1);
    await store.create(record, v1);
    const stale = nextRecord(record, { state: "destroyed", revision: 5 });
    await rejectsWith(store.destroy(stale), "conflict");
    assert.deepStrictEqual(await store.listVersions(record.id), [v1]);
    assert.deepStrictEqual(await store.get(record.id), record);
    await rejectsWith(store.destroy(nextRecord(fakeRecord({ state: "destroyed" }))), "not_found");
    await assert.rejects(store.destroy(nextRecord(record)), TypeError);
  });

  test("stored state cannot be changed through the objects passed in or out", async ({ store }) => {
    const record = fakeRecord({ tags: { env: "prod" } });
    const first = fakeVersion(record, 1);
    const snapshot = structuredClone({ record, first });
    await store.create(record, first);
    first.ciphertext.fill(0);
    (record.tags as Record<string, string>).env = "changed";
    (record.usage as string[]).push("sign");
    const got = await store.get(record.id);
    const version = await store.getVersion(record.id, 1);
    assert.ok(got && version);
    (got.tags as Record<string, string>).env = "changed";
    version.ciphertext.fill(0);
    version.nonce.fill(0);
    assert.deepStrictEqual(await store.get(record.id), snapshot.record);
    assert.deepStrictEqual(await store.getVersion(record.id, 1), snapshot.first);
  });

  test("a retention class round-trips, and a record without one has none", async ({ store }) => {
    const classed = fakeRecord({ retentionClass: "short-lived" });
    await store.create(classed, fakeVersion(classed, 1));
    assert.deepStrictEqual(await store.get(classed.id), classed);
    const plain = fakeRecord();
    await store.create(plain, fakeVersion(plain, 1));
    assert.equal("retentionClass" in (await store.get(plain.id) as KeyRecord), false);
  });

  test("a purged version keeps its metadata and loses every sealed byte", async (fx) => {
    const record = fakeRecord();
    const first = fakeVersion(record, 1);
    await fx.store.create(record, first);
    const second = fakeVersion(record, 2, { sourceVersion: 1 });
    await fx.store.update(nextRecord(record, { currentVersion: 2 }), second);
    const at = nextTimestamp();
    assert.equal(await fx.store.purgeVersion(record.id, 1, at), true);
    const stub = {
      keyId: record.id,
      version: 1,
      algorithm: first.algorithm,
      usage: first.usage,
      createdAt: first.createdAt,
      purgedAt: at,
      nonce: new Uint8Array(0),
      ciphertext: new Uint8Array(0),
      mac: new Uint8Array(0),
    };
    assert.deepStrictEqual(await fx.store.getVersion(record.id, 1), stub);
    assert.deepStrictEqual(await fx.store.listVersions(record.id), [stub, second]);
    // Purging again changes nothing (not even the time).
    assert.equal(await fx.store.purgeVersion(record.id, 1, nextTimestamp()), false);
    assert.deepStrictEqual(await fx.store.getVersion(record.id, 1), stub);
    await fx.reopen?.();
    assert.deepStrictEqual(await fx.store.getVersion(record.id, 1), stub);
    assert.deepStrictEqual(await fx.store.getVersion(record.id, 2), second);
  });

  test("purging a missing key or version is not_found", async ({ store }) => {
    const record = fakeRecord();
    await store.create(record, fakeVersion(record, 1));
    await rejectsWith(store.purgeVersion(record.id, 2, nextTimestamp()), "not_found");
    await rejectsWith(store.purgeVersion(randomId(), 1, nextTimestamp()), "not_found");
  });

  test("operations after close are refused as unavailable", async (fx) => {
    const store: KeyStore = fx.store;
    await store.close();
    await rejectsWith(store.get("anything"), "unavailable");
    const record = fakeRecord();
    await rejectsWith(store.create(record, fakeVersion(record, 1)), "unavailable");
  });

  test("data survives close and reopen", async (fx) => {
    const record = fakeRecord({ tags: { env: "prod" } });
    const v1 = fakeVersion(record, 1);
    await fx.store.create(record, v1);
    const rotated = nextRecord(record, { currentVersion: 2 });
    const v2 = fakeVersion(record, 2, { sourceVersion: 1 });
    await fx.store.update(rotated, v2);
    const gone = fakeRecord();
    await fx.store.create(gone, fakeVersion(gone, 1));
    const destroyed = nextRecord(gone, { state: "destroyed" });
    await fx.store.destroy(destroyed);
    assert.ok(fx.reopen);
    await fx.reopen();
    assert.deepStrictEqual(await fx.store.get(record.id), rotated);
    assert.deepStrictEqual(await fx.store.listVersions(record.id), [v1, v2]);
    assert.deepStrictEqual(await fx.store.get(gone.id), destroyed);
    assert.deepStrictEqual(await fx.store.listVersions(gone.id), []);
    const page = await fx.store.list({ offset: 0, limit: 10, tag: { key: "env", value: "prod" } });
    assert.deepStrictEqual(page, { items: [rotated], total: 1 });
    await fx.store.update(nextRecord(rotated));
  }, !options.durable);

  test("a flipped ciphertext byte at rest comes back changed", async (fx) => {
    const record = fakeRecord();
    const v1 = fakeVersion(record, 1);
    await fx.store.create(record, v1);
    assert.ok(fx.tamper);
    await fx.tamper(record.id, 1);
    const read = await fx.store.getVersion(record.id, 1);
    assert.ok(read);
    assert.notDeepStrictEqual(read.ciphertext, v1.ciphertext);
    assert.equal(read.ciphertext.length, v1.ciphertext.length);
    assert.deepStrictEqual(read.nonce, v1.nonce);
    assert.deepStrictEqual(read.mac, v1.mac);
  }, !options.tamperable);

  test("an unparsable stored version is an integrity_error", async (fx) => {
    const record = fakeRecord();
    await fx.store.create(record, fakeVersion(record, 1));
    assert.ok(fx.corruptVersion);
    await fx.corruptVersion(record.id, 1);
    await rejectsWith(fx.store.getVersion(record.id, 1), "integrity_error");
    await rejectsWith(fx.store.listVersions(record.id), "integrity_error");
  }, !options.tamperable);

  test("an unparsable stored record is an integrity_error", async (fx) => {
    const record = fakeRecord();
    await fx.store.create(record, fakeVersion(record, 1));
    const healthy = fakeRecord();
    await fx.store.create(healthy, fakeVersion(healthy, 1));
    assert.ok(fx.corruptRecord);
    await fx.corruptRecord(record.id);
    await rejectsWith(fx.store.get(record.id), "integrity_error");
    assert.deepStrictEqual(await fx.store.get(healthy.id), healthy);
  }, !options.tamperable);
}

/** Asserts that `promise` rejects with an HsmError of `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: HsmErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assertHsmError(err, code);
    return true;
  });
}

/** Asserts that `err` is an HsmError with `code`. */
export function assertHsmError(err: unknown, code: HsmErrorCode): void {
  assert.ok(err instanceof HsmError, `expected HsmError(${code}), got ${String(err)}`);
  assert.equal(err.code, code);
}

/** The item at `index`, failing the test when there is none. */
function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  assert.ok(item !== undefined, `no item at ${index}`);
  return item;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
