/**
 * The PolicyStore contract: one suite every adapter must pass, registered as Deno tests
 * under the adapter's name: versions are immutable and follow each other, the latest
 * version is the policy (tombstones included), and data survives a reopen.
 */

import { strict as assert } from "node:assert";
import type { PolicyVersionRecord } from "../../src/domain/policies.ts";
import type { PolicyStore } from "../../src/storage/ports.ts";
import { rejectsWith } from "./key_store_contract.ts";
import { nextTimestamp, randomBytes } from "./key_store_fixtures.ts";
import { toBase64, toHex } from "../../src/core/encoding.ts";

/** A live policy store and, for durable adapters, a way to reopen it. */
export interface PolicyStoreFixture {
  readonly store: PolicyStore;
  readonly reopen?: () => Promise<void>;
  cleanup(): Promise<void>;
}

/** A plausible policy version (random MAC; stores treat it as opaque). */
export function fakePolicy(changes: Partial<PolicyVersionRecord> = {}): PolicyVersionRecord {
  const at = nextTimestamp();
  return {
    id: `pol_${crypto.randomUUID().replaceAll("-", "")}`,
    version: 1,
    name: "business hours",
    script: "export default (ctx) => ctx.hour >= 9 && ctx.hour < 17",
    digest: toHex(randomBytes(32)),
    scope: { actions: ["sign"], key_tags: { team: "payments" } },
    deleted: false,
    createdAt: at,
    updatedAt: at,
    author: "alice",
    approvalId: null,
    mac: toBase64(randomBytes(48)),
    ...changes,
  };
}

/** The next version of `p`. */
export function nextPolicy(
  p: PolicyVersionRecord,
  changes: Partial<PolicyVersionRecord> = {},
): PolicyVersionRecord {
  return {
    ...p,
    version: p.version + 1,
    updatedAt: nextTimestamp(),
    mac: toBase64(randomBytes(48)),
    ...changes,
  };
}

/** Registers the contract for one adapter. */
export function policyStoreContract(
  name: string,
  open: () => Promise<PolicyStoreFixture>,
  options: { readonly durable?: boolean } = {},
): void {
  function test(
    title: string,
    body: (fx: PolicyStoreFixture) => Promise<void>,
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

  test("a created policy reads back as its latest version", async ({ store }) => {
    const p = fakePolicy({ approvalId: "appr_1" });
    await store.put(p);
    assert.deepStrictEqual(await store.latest(p.id), p);
    assert.deepStrictEqual(await store.version(p.id, 1), p);
    assert.deepStrictEqual(await store.versions(p.id), [p]);
    assert.deepStrictEqual(await store.list(), [p]);
  });

  test("versions follow each other and every one is kept", async ({ store }) => {
    const v1 = fakePolicy();
    const v2 = nextPolicy(v1, { script: "export default () => false", name: "closed" });
    const v3 = nextPolicy(v2, { deleted: true });
    for (const v of [v1, v2, v3]) await store.put(v);
    assert.deepStrictEqual(await store.latest(v1.id), v3);
    assert.deepStrictEqual(await store.versions(v1.id), [v1, v2, v3]);
    assert.deepStrictEqual(await store.version(v1.id, 2), v2);
    assert.deepStrictEqual(await store.list(), [v3], "the tombstone is the latest version");
  });

  test("a duplicate create, a stale or skipped version are conflicts", async ({ store }) => {
    const v1 = fakePolicy();
    await store.put(v1);
    await rejectsWith(store.put({ ...v1, name: "again" }), "conflict");
    const v2 = nextPolicy(v1);
    await store.put(v2);
    await rejectsWith(store.put(nextPolicy(v1, { name: "stale" })), "conflict");
    await rejectsWith(store.put(nextPolicy(v2, { version: 4 })), "conflict");
    assert.deepStrictEqual(await store.versions(v1.id), [v1, v2]);
  });

  test("a later version of an unknown policy is not_found", async ({ store }) => {
    await rejectsWith(store.put(fakePolicy({ version: 2 })), "not_found");
    assert.deepStrictEqual(await store.list(), []);
  });

  test("concurrent writers of the same next version: exactly one wins", async ({ store }) => {
    const v1 = fakePolicy();
    await store.put(v1);
    const results = await Promise.allSettled([
      store.put(nextPolicy(v1, { name: "a" })),
      store.put(nextPolicy(v1, { name: "b" })),
    ]);
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    assert.equal((await store.versions(v1.id)).length, 2);
  });

  test("the list is ordered by creation then id, one entry per policy", async ({ store }) => {
    const a = fakePolicy({ createdAt: "2025-01-01T00:00:02.000Z" });
    const b = fakePolicy({ createdAt: "2025-01-01T00:00:01.000Z" });
    await store.put(a);
    await store.put(b);
    await store.put(nextPolicy(a));
    assert.deepStrictEqual((await store.list()).map((p) => [p.id, p.version]), [
      [b.id, 1],
      [a.id, 2],
    ]);
  });

  test("stored state cannot be changed through objects passed in or out", async ({ store }) => {
    const p = fakePolicy();
    const mine = structuredClone(p);
    await store.put(mine);
    (mine.scope as Record<string, unknown>).actions = ["decrypt"];
    const out = await store.latest(p.id) as PolicyVersionRecord;
    (out.scope as Record<string, unknown>).roles = ["Service"];
    assert.deepStrictEqual(await store.latest(p.id), p);
  });

  test("unknown ids read as nothing", async ({ store }) => {
    assert.equal(await store.latest("nope"), undefined);
    assert.equal(await store.version("nope", 1), undefined);
    assert.deepStrictEqual(await store.versions("nope"), []);
    assert.equal(await store.latest("../etc"), undefined);
  });

  test("data survives a reopen", async (fx) => {
    assert.ok(fx.reopen !== undefined, "a durable fixture can reopen");
    const v1 = fakePolicy();
    await fx.store.put(v1);
    const v2 = nextPolicy(v1, { deleted: true });
    await fx.store.put(v2);
    await fx.reopen();
    assert.deepStrictEqual(await fx.store.list(), [v2]);
    assert.deepStrictEqual(await fx.store.versions(v1.id), [v1, v2]);
  }, options.durable !== true);

  test("operations after close are refused as unavailable", async ({ store }) => {
    await store.close();
    await rejectsWith(store.list(), "unavailable");
    await rejectsWith(store.put(fakePolicy()), "unavailable");
  });
}
