/** The AuditStore contract, run against every adapter by its own test file. */

import assert from "node:assert/strict";
import type { AuditStore } from "../../src/storage/ports.ts";
import type { AuditEntry } from "../../src/domain/audit_entry.ts";
import { chainOf, testMacKey } from "../audit/_helpers.ts";

/** Opens a fresh, empty store and a cleanup that closes it and removes its files. */
export type AuditStoreFactory = () => Promise<{ store: AuditStore; cleanup: () => Promise<void> }>;

async function collect(it: AsyncIterable<AuditEntry>): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/** Registers the contract tests for one adapter. */
export function auditStoreContract(name: string, factory: AuditStoreFactory): void {
  async function withStore(fn: (store: AuditStore) => Promise<void>): Promise<void> {
    const { store, cleanup } = await factory();
    try {
      await fn(store);
    } finally {
      await cleanup();
    }
  }

  Deno.test(`${name}: an empty store has no last entry and lists nothing`, () =>
    withStore(async (store) => {
      assert.equal(await store.last(), undefined);
      assert.deepEqual(await store.list(0, 10), []);
      assert.deepEqual(await collect(store.scan()), []);
    }));

  Deno.test(`${name}: appended batches read back in order`, () =>
    withStore(async (store) => {
      const entries = await chainOf(await testMacKey(), 7);
      await store.append(entries.slice(0, 3));
      await store.append(entries.slice(3));
      assert.deepEqual(await store.last(), entries[6]);
      assert.deepEqual(await collect(store.scan()), entries);
    }));

  Deno.test(`${name}: list pages by after_seq and limit`, () =>
    withStore(async (store) => {
      const entries = await chainOf(await testMacKey(), 25);
      await store.append(entries);
      const pages: AuditEntry[] = [];
      for (let after = 0;;) {
        const page = await store.list(after, 10);
        if (page.length === 0) break;
        assert.ok(page.length <= 10);
        pages.push(...page);
        after = (page[page.length - 1] as AuditEntry).seq;
      }
      assert.deepEqual(pages, entries);
      assert.deepEqual(await store.list(22, 10), entries.slice(22));
      assert.deepEqual(await store.list(25, 10), []);
      assert.deepEqual(await store.list(0, 0), []);
    }));

  Deno.test(`${name}: a large batch is stored whole`, () =>
    withStore(async (store) => {
      const entries = await chainOf(await testMacKey(), 600);
      await store.append(entries);
      assert.equal((await store.last())?.seq, 600);
      assert.equal((await collect(store.scan())).length, 600);
    }));

  Deno.test(`${name}: dropThrough removes archived entries and appends continue after them`, () =>
    withStore(async (store) => {
      const entries = await chainOf(await testMacKey(), 12);
      await store.append(entries.slice(0, 10));
      await store.dropThrough(0);
      assert.equal((await collect(store.scan())).length, 10, "dropping nothing changes nothing");
      await store.dropThrough(6);
      assert.deepEqual(await collect(store.scan()), entries.slice(6, 10));
      assert.deepEqual(await store.list(0, 100), entries.slice(6, 10));
      assert.deepEqual(await store.last(), entries[9]);
      await store.append(entries.slice(10));
      assert.deepEqual(await collect(store.scan()), entries.slice(6));
      await store.dropThrough(6);
      assert.deepEqual(await store.list(6, 2), entries.slice(6, 8), "dropping again is a no-op");
    }));

  Deno.test(`${name}: request ids read back as written, and entries without one have none`, () =>
    withStore(async (store) => {
      const entries = await chainOf(await testMacKey(), 4, { requestIds: true });
      await store.append(entries);
      const read = await collect(store.scan());
      assert.deepEqual(read, entries);
      assert.deepEqual(read.map((e) => e.request_id), [undefined, "req-2", undefined, "req-4"]);
      assert.equal(Object.hasOwn(read[0] as AuditEntry, "request_id"), false);
    }));
}
