import assert from "node:assert/strict";
import { MemoryAuditStore } from "../../../src/storage/memory/audit_store.ts";
import { chainOf, testMacKey } from "../../audit/_helpers.ts";
import { auditStoreContract } from "../audit_store_contract.ts";

auditStoreContract(
  "MemoryAuditStore",
  () => Promise.resolve({ store: new MemoryAuditStore(), cleanup: () => Promise.resolve() }),
);

Deno.test("MemoryAuditStore fails the next appends on request and counts calls", async () => {
  const store = new MemoryAuditStore();
  const [a, b] = await chainOf(await testMacKey(), 2);
  assert.ok(a && b);
  store.failNextAppend();
  await assert.rejects(store.append([a]));
  await store.append([a]);
  await store.append([b]);
  assert.equal(store.appendCalls, 3);
  assert.deepEqual(store.entries, [a, b]);
});

Deno.test("MemoryAuditStore holds appends while paused", async () => {
  const store = new MemoryAuditStore();
  const [a] = await chainOf(await testMacKey(), 1);
  assert.ok(a);
  const release = store.pauseAppends();
  let done = false;
  const pending = store.append([a]).then(() => (done = true));
  await Promise.resolve();
  assert.equal(done, false);
  release();
  await pending;
  assert.deepEqual(store.entries, [a]);
});
