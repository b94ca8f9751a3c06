/** KeyRecords drops what another node changed, and never caches a read that raced a drop. */

import assert from "node:assert/strict";
import { RecordJournal } from "../../src/audit/record_journal.ts";
import type { Sealer } from "../../src/core/sealing.ts";
import { KeyRecords } from "../../src/keys/key_records.ts";
import { MemoryKeyStore } from "../../src/storage/memory/key_store.ts";
import type { KeyRecord } from "../../src/domain/records.ts";
import { fakeRecord, fakeVersion, nextRecord } from "../storage/key_store_fixtures.ts";

/** A sealer whose record check always passes, and a journal that accepts everything. */
function setup() {
  const store = new MemoryKeyStore();
  const sealer = { verifyRecord: () => Promise.resolve() } as unknown as Sealer;
  const journal = new RecordJournal();
  journal.verify = () => Promise.resolve();
  return { store, records: new KeyRecords({ store, sealer, journal }) };
}

Deno.test("forget drops one cached record so the next read sees the store", async () => {
  const { store, records } = setup();
  const record = fakeRecord();
  await store.create(record, fakeVersion(record, 1));
  assert.equal((await records.get(record.id)).revision, 1);
  const changed = nextRecord(record, { state: "revoked" });
  await store.update(changed); // another node's write
  assert.equal((await records.get(record.id)).state, record.state, "still cached");
  records.forget(record.id);
  assert.equal((await records.get(record.id)).state, "revoked");
});

Deno.test("clear drops every record, and a read racing a drop is not cached", async () => {
  const { store, records } = setup();
  const record = fakeRecord();
  await store.create(record, fakeVersion(record, 1));
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => release = resolve);
  const get = store.get.bind(store);
  store.get = async (id: string): Promise<KeyRecord | undefined> => {
    const found = await get(id);
    await gate;
    return found;
  };
  const racing = records.get(record.id);
  await store.update(nextRecord(record, { state: "revoked" }));
  records.clear();
  release();
  assert.equal((await racing).revision, 1, "the racing read answers what it read");
  assert.equal((await records.get(record.id)).state, "revoked", "but did not fill the cache");
  assert.equal(records.stats().size, 1);
});
