/**
 * The unsealed-key cache: bounded, LRU, disposes (wipes) evicted and invalidated keys,
 * and refuses tampered versions.
 */

import assert from "node:assert/strict";
import { isHsmError } from "../../src/domain/errors.ts";
import { RootKeys } from "../../src/core/master_key.ts";
import { providerFor } from "../../src/core/providers/index.ts";
import { Sealer } from "../../src/core/sealing.ts";
import { KeyLoader } from "../../src/keys/key_loader.ts";
import { MemoryKeyStore } from "../../src/storage/memory/key_store.ts";

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

async function setup(capacity: number, keys: number) {
  const sealer = new Sealer(await RootKeys.derive(random(32), random(32)));
  const store = new MemoryKeyStore();
  const now = new Date().toISOString();
  for (let i = 0; i < keys; i++) {
    const id = `k${i}`;
    const material = await providerFor("HMAC-SHA256").generate("HMAC-SHA256");
    const sealed = await sealer.seal({
      keyId: id,
      version: 1,
      algorithm: "HMAC-SHA256",
      usage: ["mac"],
      createdAt: now,
    }, material);
    const record = await sealer.macRecord({
      id,
      name: id,
      algorithm: "HMAC-SHA256",
      usage: ["mac"],
      tags: {},
      state: "active",
      currentVersion: 1,
      dualControl: false,
      createdAt: now,
      updatedAt: now,
      revision: 1,
    });
    await store.create(record, sealed);
  }
  return { loader: new KeyLoader(store, sealer, capacity), store };
}

Deno.test("the key cache stays within capacity and disposes what it evicts", async () => {
  const { loader } = await setup(2, 3);
  const k0 = await loader.load("k0", 1, "HMAC-SHA256");
  await loader.load("k1", 1, "HMAC-SHA256");
  await loader.load("k0", 1, "HMAC-SHA256"); // k0 most recently used
  await loader.load("k2", 1, "HMAC-SHA256"); // evicts k1
  const stats = loader.stats();
  assert.equal(stats.size, 2);
  assert.equal(stats.evictions, 1);
  assert.equal(stats.hits, 1);
  await k0.mac?.(random(8)); // still usable
  loader.invalidate("k0");
  await new Promise((r) => setTimeout(r, 0));
  await assert.rejects(async () => await k0.mac?.(random(8)), TypeError);
  assert.equal(loader.stats().size, 1);
});

Deno.test("a missing version is not_found and a mismatched algorithm is an integrity error", async () => {
  const { loader } = await setup(4, 1);
  await assert.rejects(loader.load("k0", 2, "HMAC-SHA256"), (e) => isHsmError(e, "not_found"));
  await assert.rejects(
    loader.load("k0", 1, "AES-256-GCM"),
    (e) => isHsmError(e, "integrity_error"),
  );
  assert.equal(loader.stats().size, 0, "failed loads are not cached");
});
