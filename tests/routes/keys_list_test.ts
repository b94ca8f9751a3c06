/**
 * Key listing over the API: filters by algorithm, state and tag, 1-based paging with
 * totals, and the per-actor cache never serving a listing from before a write.
 */

import assert from "node:assert/strict";
import { makeTestApp } from "./_app.ts";

Deno.test("listing filters by algorithm, state and tag and pages with totals", async () => {
  const t = await makeTestApp([]);
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await t.call(admin, "POST", "/api/v1/keys", {
        name: `k${i}`,
        algorithm: i % 2 === 0 ? "AES-256-GCM" : "HMAC-SHA256",
        tags: { env: i < 3 ? "prod" : "dev" },
      });
      ids.push(r.body.id);
    }
    await t.call(admin, "POST", `/api/v1/keys/${ids[0]}/revoke`);

    const page1 = await t.call(admin, "GET", "/api/v1/keys?page=1&per_page=3");
    assert.equal(page1.status, 200);
    assert.equal(page1.body.total, 7);
    assert.equal(page1.body.page, 1);
    assert.equal(page1.body.per_page, 3);
    assert.deepEqual(page1.body.items.map((k: { name: string }) => k.name), ["k0", "k1", "k2"]);
    const page3 = await t.call(admin, "GET", "/api/v1/keys?page=3&per_page=3");
    assert.deepEqual(page3.body.items.map((k: { name: string }) => k.name), ["k6"]);

    const aes = await t.call(admin, "GET", "/api/v1/keys?algorithm=AES-256-GCM");
    assert.equal(aes.body.total, 4);
    const revoked = await t.call(admin, "GET", "/api/v1/keys?state=revoked");
    assert.deepEqual(revoked.body.items.map((k: { id: string }) => k.id), [ids[0]]);
    const prod = await t.call(admin, "GET", "/api/v1/keys?tag=env:prod");
    assert.equal(prod.body.total, 3);
    const prodHmac = await t.call(admin, "GET", "/api/v1/keys?tag=env:prod&algorithm=HMAC-SHA256");
    assert.deepEqual(prodHmac.body.items.map((k: { name: string }) => k.name), ["k1"]);

    // A cached listing is not served after a write.
    const before = await t.call(admin, "GET", "/api/v1/keys?state=active");
    assert.equal(before.body.total, 6);
    await t.call(admin, "POST", `/api/v1/keys/${ids[1]}/revoke`);
    const after = await t.call(admin, "GET", "/api/v1/keys?state=active");
    assert.equal(after.body.total, 5);
  } finally {
    await t.close();
  }
});

Deno.test("repeated listings by one actor are answered from the cache", async () => {
  const t = await makeTestApp(["--key-store", "memory"]);
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    await t.call(admin, "POST", "/api/v1/keys", { name: "k", algorithm: "Ed25519" });
    const hits = t.services.listCache.stats().hits;
    await t.call(admin, "GET", "/api/v1/keys?per_page=5");
    await t.call(admin, "GET", "/api/v1/keys?per_page=5");
    assert.equal(t.services.listCache.stats().hits, hits + 1);
  } finally {
    await t.close();
  }
});
