/**
 * `/v1/transit/keys` in process: names map to FerroHSM keys through the `transit` tag,
 * create is an upsert, reads and lists answer Vault's shapes (404 `{"errors": []}` when
 * there is nothing), rotation and config, and deletion as a destruction request that a
 * second administrator approves, after which the name is free again.
 */

import assert from "node:assert/strict";
import { makeTestApp } from "../_app.ts";
import { transit } from "./_transit.ts";

Deno.test("a Transit key is a FerroHSM key named and tagged after it, and create is an upsert", async () => {
  const t = await makeTestApp();
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    const v = transit(t, admin);
    assert.deepEqual((await v("GET", "/keys/orders")).body, { errors: [] });
    assert.equal((await v("LIST", "/keys")).status, 404);

    const created = await v("POST", "/keys/orders");
    assert.equal(created.status, 200);
    assert.equal(created.headers.get("Content-Type"), "application/json");
    const data = created.body.data;
    assert.equal(data.name, "orders");
    assert.equal(data.type, "aes256-gcm96");
    assert.equal(data.latest_version, 1);
    assert.ok(Number.isInteger(data.keys["1"]));
    assert.equal(data.supports_encryption, true);
    assert.equal(data.supports_signing, false);
    assert.equal(created.body.request_id, created.headers.get("X-Request-Id"));

    const api = await t.call(admin, "GET", `/api/v1/keys/${data.ferrohsm.id}`);
    assert.equal(api.body.name, "orders");
    assert.deepEqual(api.body.tags, { transit: "orders" });
    assert.deepEqual(api.body.usage, ["encrypt", "decrypt"]);

    const again = await v("PUT", "/keys/orders", { type: "aes256-gcm96" });
    assert.equal(again.body.data.ferrohsm.id, data.ferrohsm.id);
    assert.deepEqual(again.body.warnings, ["key orders already existed"]);

    await v("POST", "/keys/signer", { type: "ecdsa-p384" });
    assert.deepEqual((await v("LIST", "/keys")).body.data.keys, ["orders", "signer"]);
    assert.deepEqual((await v("GET", "/keys?list=true")).body.data.keys, ["orders", "signer"]);
    assert.deepEqual((await v("GET", "/keys?list=1")).body.data.keys, ["orders", "signer"]);
    const ec = (await v("GET", "/keys/signer")).body.data;
    assert.equal(ec.keys["1"].name, "P-384");
    assert.match(ec.keys["1"].public_key, /^-----BEGIN PUBLIC KEY-----\n/);
    const pem = await t.call(admin, "GET", `/api/v1/keys/${ec.ferrohsm.id}/public`);
    assert.equal(ec.keys["1"].public_key, pem.body.pem);
  } finally {
    await t.close();
  }
});

Deno.test("bad names, unknown types and options FerroHSM does not offer are 400", async () => {
  const t = await makeTestApp();
  try {
    const v = transit(t, await t.inst.token("alice", ["Administrator"]));
    const cases: [string, unknown][] = [
      ["/keys/-leading", {}],
      ["/keys/has%20space", {}],
      [`/keys/${"x".repeat(129)}`, {}],
      ["/keys/k", { type: "chacha20-poly1305" }],
      ["/keys/k", { type: "aes256-gcm96", exportable: true }],
      ["/keys/k", { derived: "true" }],
      ["/keys/k", { auto_rotate_period: "24h" }],
      ["/keys/k", { type: "hmac", key_size: 64 }],
    ];
    for (const [path, body] of cases) {
      const res = await v("POST", path, body);
      assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.equal(res.body.errors.length, 1);
    }
    assert.equal((await v("POST", "/keys/k", { auto_rotate_period: 0 })).status, 200);
    assert.equal((await v("POST", "/keys/k", "{not json")).status, 400);
  } finally {
    await t.close();
  }
});

Deno.test("an API key joins Transit with the tag, and two live keys under one name are refused", async () => {
  const t = await makeTestApp();
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    const v = transit(t, admin);
    await t.call(admin, "POST", "/api/v1/keys", { name: "untagged", algorithm: "Ed25519" });
    assert.equal((await v("GET", "/keys/untagged")).status, 404);
    const tagged = await t.call(admin, "POST", "/api/v1/keys", {
      name: "anything",
      algorithm: "Ed25519",
      tags: { transit: "release" },
    });
    const read = await v("GET", "/keys/release");
    assert.equal(read.body.data.type, "ed25519");
    assert.equal(read.body.data.ferrohsm.id, tagged.body.id);
    assert.equal(atob(read.body.data.keys["1"].public_key).length, 32);
    assert.equal((await v("POST", "/sign/release", { input: btoa("m") })).status, 200);

    await t.call(admin, "POST", "/api/v1/keys", {
      name: "twin",
      algorithm: "Ed25519",
      tags: { transit: "release" },
    });
    const ambiguous = await v("POST", "/sign/release", { input: btoa("m") });
    assert.equal(ambiguous.status, 400);
    assert.match(ambiguous.body.errors[0], /ambiguous/);

    const pq = await t.call(admin, "POST", "/api/v1/keys", {
      name: "pq",
      algorithm: "ML-DSA-44",
      tags: { transit: "pq" },
    });
    assert.equal(pq.status, 201);
    assert.match((await v("GET", "/keys/pq")).body.errors[0], /no Transit key type/);
  } finally {
    await t.close();
  }
});

Deno.test("rotate adds a version; config refuses what FerroHSM does not do", async () => {
  const t = await makeTestApp();
  try {
    const v = transit(t, await t.inst.token("alice", ["Administrator"]));
    await v("POST", "/keys/rsa", { type: "rsa-2048" });
    const rotated = await v("POST", "/keys/rsa/rotate");
    assert.equal(rotated.status, 200);
    assert.equal(rotated.body.data.latest_version, 2);
    assert.deepEqual(Object.keys(rotated.body.data.keys), ["1", "2"]);
    assert.notEqual(rotated.body.data.keys["1"].public_key, rotated.body.data.keys["2"].public_key);

    const ok = await v("POST", "/keys/rsa/config", { deletion_allowed: true });
    assert.equal(ok.status, 200);
    assert.match(ok.body.warnings[0], /deletion_allowed is not stored/);
    assert.equal((await v("POST", "/keys/rsa/config", { min_decryption_version: 1 })).status, 200);
    for (
      const body of [
        { min_decryption_version: 2 },
        { min_encryption_version: 2 },
        { exportable: true },
        { auto_rotate_period: "1h" },
      ]
    ) {
      assert.equal((await v("POST", "/keys/rsa/config", body)).status, 400, JSON.stringify(body));
    }
    assert.equal((await v("POST", "/keys/none/rotate")).status, 400);
  } finally {
    await t.close();
  }
});

Deno.test("a rotation under dual control answers 202 with its approval", async () => {
  const dir = await Deno.makeTempDir();
  const policy = `${dir}/approvals.json`;
  await Deno.writeTextFile(policy, JSON.stringify({ actions: { "key.rotate": { quorum: 1 } } }));
  const t = await makeTestApp(["--approval-policy", policy]);
  try {
    const v = transit(t, await t.inst.token("alice", ["Administrator"]));
    await v("POST", "/keys/held");
    const res = await v("POST", "/keys/held/rotate");
    assert.equal(res.status, 202);
    assert.equal(res.body.data.approval.action, "key.rotate");
    assert.match(res.body.warnings[0], /needs approval/);
    assert.equal((await v("GET", "/keys/held")).body.data.latest_version, 1);
  } finally {
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("delete opens a destruction request; once approved the name is free again", async () => {
  const t = await makeTestApp();
  try {
    const alice = await t.inst.token("alice", ["Administrator"]);
    const bob = await t.inst.token("bob", ["Administrator"]);
    const v = transit(t, alice);
    const first = (await v("POST", "/keys/temp")).body.data.ferrohsm.id;
    const sealed = (await v("POST", "/encrypt/temp", { plaintext: btoa("x") })).body.data;
    const del = await v("DELETE", "/keys/temp");
    assert.equal(del.status, 202);
    assert.equal(del.body.data.approval.key_id, first);
    // Still there until a second administrator approves.
    assert.equal((await v("GET", "/keys/temp")).status, 200);
    const approved = await t.call(
      bob,
      "POST",
      `/api/v1/approvals/${del.body.data.approval.id}/approve`,
    );
    assert.equal(approved.body.state, "executed");
    assert.deepEqual((await v("GET", "/keys/temp")).body, { errors: [] });
    assert.equal((await v("POST", "/decrypt/temp", sealed)).status, 400);
    const second = (await v("POST", "/keys/temp")).body.data.ferrohsm.id;
    assert.notEqual(second, first);
    assert.equal((await v("DELETE", "/keys/nothing")).status, 400);
  } finally {
    await t.close();
  }
});
