/**
 * `PATCH /keys/:id` and what it drives: tags and rotation periods on the key object;
 * the minimum decryption version (upward only, its own RBAC action) retiring older
 * versions for decrypt, verify, MAC verify, decapsulate and rollback; usage counters in
 * the version listing, kept across a restart; and the rotation scheduler (injected
 * clock) rotating due keys as `system`, or opening one approval under dual control.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { makeTestApp, type TestApp } from "./_app.ts";
import { auditOf } from "./_key_ops.ts";

async function withApp(
  fn: (t: TestApp, admin: string) => Promise<void>,
  flags: string[] = ["--key-store", "memory"],
  clock?: () => Date,
): Promise<void> {
  const t = await makeTestApp(flags, clock === undefined ? {} : { clock });
  try {
    await fn(t, await t.inst.token("alice", ["Administrator"]));
  } finally {
    await t.close();
  }
}

async function create(t: TestApp, token: string, algorithm: string): Promise<string> {
  const r = await t.call(token, "POST", "/api/v1/keys", { name: algorithm, algorithm });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

Deno.test("PATCH sets tags and a rotation period, removes the period, refuses bad bodies", async () => {
  await withApp(async (t, admin) => {
    const id = await create(t, admin, "AES-256-GCM");
    const set = await t.call(admin, "PATCH", `/api/v1/keys/${id}`, {
      rotation_period: "P90D",
      tags: { team: "pay" },
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.rotation_period, "P90D");
    assert.deepEqual(set.body.tags, { team: "pay" });
    assert.equal((await t.call(admin, "GET", `/api/v1/keys/${id}`)).body.rotation_period, "P90D");
    const listed = await t.call(admin, "GET", "/api/v1/keys?tag=team:pay");
    assert.deepEqual(listed.body.items.map((k: { id: string }) => k.id), [id]);
    const cleared = await t.call(admin, "PATCH", `/api/v1/keys/${id}`, { rotation_period: null });
    assert.equal(cleared.body.rotation_period, undefined);
    assert.deepEqual(cleared.body.tags, { team: "pay" }, "fields not named stay");
    for (
      const body of [
        {},
        { rotation_period: "90 days" },
        { rotation_period: "PT5M" },
        { min_decryption_version: 0 },
        { name: "renamed" },
        { tags: { "bad key": "x" } },
      ]
    ) {
      const r = await t.call(admin, "PATCH", `/api/v1/keys/${id}`, body);
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    assert.equal((await t.call(admin, "PATCH", "/api/v1/keys/missing", { tags: {} })).status, 404);
    const entries = await auditOf(t, "key.update");
    // The two malformed periods reach the service (audited); other bad bodies stop at the contract.
    assert.deepEqual(entries.map((e) => e.result), [
      "ok",
      "ok",
      "invalid_request",
      "invalid_request",
      "not_found",
    ]);
  });
});

Deno.test("a destroyed key cannot change", async () => {
  await withApp(async (t, admin) => {
    const id = await create(t, admin, "AES-256-GCM");
    const approval = await t.call(admin, "DELETE", `/api/v1/keys/${id}`);
    const bob = await t.inst.token("bob", ["Administrator"]);
    await t.call(bob, "POST", `/api/v1/approvals/${approval.body.id}/approve`);
    const r = await t.call(admin, "PATCH", `/api/v1/keys/${id}`, { tags: { a: "b" } });
    assert.equal(r.status, 409);
  });
});

Deno.test("the minimum decryption version only rises and retires older versions everywhere", async () => {
  await withApp(async (t, admin) => {
    const aes = await create(t, admin, "AES-256-GCM");
    const ec = await create(t, admin, "EC-P256");
    const hmac = await create(t, admin, "HMAC-SHA256");
    const kem = await create(t, admin, "ML-KEM-768");
    const msg = btoa("m");
    const ct1 = await t.call(admin, "POST", `/api/v1/keys/${aes}/encrypt`, { plaintext: msg });
    const sig1 = await t.call(admin, "POST", `/api/v1/keys/${ec}/sign`, { message: msg });
    const mac1 = await t.call(admin, "POST", `/api/v1/keys/${hmac}/mac`, { message: msg });
    const enc1 = await t.call(admin, "POST", `/api/v1/keys/${kem}/encapsulate`);
    for (const id of [aes, ec, hmac, kem]) {
      await t.call(admin, "POST", `/api/v1/keys/${id}/rotate`);
      await t.call(admin, "POST", `/api/v1/keys/${id}/rotate`);
      const r = await t.call(admin, "PATCH", `/api/v1/keys/${id}`, { min_decryption_version: 2 });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.min_decryption_version, 2);
    }
    const retired: [string, unknown][] = [
      [`/api/v1/keys/${aes}/decrypt`, { ciphertext: ct1.body.ciphertext }],
      [`/api/v1/keys/${ec}/verify`, { message: msg, signature: sig1.body.signature, version: 1 }],
      [`/api/v1/keys/${hmac}/mac/verify`, { message: msg, mac: mac1.body.mac, version: 1 }],
      [`/api/v1/keys/${kem}/decapsulate`, { ciphertext: enc1.body.ciphertext, version: 1 }],
    ];
    for (const [path, body] of retired) {
      const r = await t.call(admin, "POST", path, body);
      assert.equal(r.status, 409, path);
      assert.match(r.body.error.message, /versions below 2 are retired/);
    }
    const current = await t.call(admin, "POST", `/api/v1/keys/${aes}/encrypt`, { plaintext: msg });
    const back = await t.call(admin, "POST", `/api/v1/keys/${aes}/decrypt`, {
      ciphertext: current.body.ciphertext,
    });
    assert.equal(back.body.plaintext, msg);
    const rollback = await t.call(admin, "POST", `/api/v1/keys/${aes}/rollback`, { version: 1 });
    assert.equal(rollback.status, 409, "no rollback to a retired version");
    const lower = await t.call(admin, "PATCH", `/api/v1/keys/${aes}`, {
      min_decryption_version: 1,
    });
    assert.equal(lower.status, 409);
    const beyond = await t.call(admin, "PATCH", `/api/v1/keys/${aes}`, {
      min_decryption_version: 4,
    });
    assert.equal(beyond.status, 400);
    const same = await t.call(admin, "PATCH", `/api/v1/keys/${aes}`, { min_decryption_version: 2 });
    assert.equal(same.status, 200, "setting the same minimum again is allowed");
  });
});

Deno.test("tags and periods need key:update; the minimum also needs key:update:min-version", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rbac = join(dir, "rbac.json");
    await Deno.writeTextFile(
      rbac,
      JSON.stringify({
        version: 1,
        roles: {
          Administrator: ["*"],
          Operator: ["key:read", "key:update", "key:update:min-version", "key:rotate"],
          Service: ["key:read", "key:update"],
          Auditor: ["key:read", "audit:read"],
        },
      }),
    );
    await withApp(async (t, admin) => {
      const id = await create(t, admin, "AES-256-GCM");
      await t.call(admin, "POST", `/api/v1/keys/${id}/rotate`);
      const as = async (role: string, body: unknown) => {
        const token = await t.inst.token(`as-${role}`, [role]);
        return (await t.call(token, "PATCH", `/api/v1/keys/${id}`, body)).status;
      };
      assert.equal(await as("Auditor", { tags: { a: "1" } }), 403);
      assert.equal(await as("Service", { tags: { a: "1" } }), 200);
      assert.equal(await as("Service", { min_decryption_version: 2 }), 403);
      assert.equal(await as("Operator", { min_decryption_version: 2 }), 200);
    }, ["--key-store", "memory", "--rbac-config", rbac]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the default matrix lets Operators change settings and refuses Services", async () => {
  await withApp(async (t, admin) => {
    const id = await create(t, admin, "AES-256-GCM");
    const operator = await t.inst.token("olivia", ["Operator"]);
    const service = await t.inst.token("svc", ["Service"]);
    const body = { rotation_period: "P30D", min_decryption_version: 1 };
    assert.equal((await t.call(operator, "PATCH", `/api/v1/keys/${id}`, body)).status, 200);
    assert.equal((await t.call(service, "PATCH", `/api/v1/keys/${id}`, body)).status, 403);
  });
});

Deno.test("usage counters count operations per version and survive a restart", async () => {
  await withApp(async (t, admin) => {
    const id = await create(t, admin, "AES-256-GCM");
    const ct = await t.call(admin, "POST", `/api/v1/keys/${id}/encrypt`, { plaintext: btoa("a") });
    await t.call(admin, "POST", `/api/v1/keys/${id}/decrypt`, { ciphertext: ct.body.ciphertext });
    await t.call(admin, "POST", `/api/v1/keys/${id}/decrypt`, { ciphertext: "fhsm:v1:AAAA" });
    await t.call(admin, "POST", `/api/v1/keys/${id}/rotate`);
    await t.call(admin, "POST", `/api/v1/keys/${id}/datakey`, {});
    await t.call(admin, "POST", `/api/v1/keys/${id}/rewrap`, { ciphertext: ct.body.ciphertext });
    const counts = async () =>
      (await t.call(admin, "GET", `/api/v1/keys/${id}/versions`)).body.items.map((
        v: { version: number; operations: number },
      ) => [v.version, v.operations]);
    // v1: encrypt, decrypt, rewrap's decrypt (failures do not count); v2: datakey, rewrap.
    assert.deepEqual(await counts(), [[1, 3], [2, 2]]);
    await t.reopen();
    assert.deepEqual(await counts(), [[1, 3], [2, 2]], "flushed on close, read back");
    await t.services.usage.flush();
    assert.deepEqual(await counts(), [[1, 3], [2, 2]], "a flush does not double count");
  }, ["--key-store", "sqlite"]);
});

Deno.test("the scheduler rotates due keys as system and audits it", async () => {
  let now = new Date("2026-03-01T00:00:00Z");
  await withApp(
    async (t, admin) => {
      const due = await create(t, admin, "AES-256-GCM");
      const revoked = await create(t, admin, "AES-256-GCM");
      const none = await create(t, admin, "AES-256-GCM");
      for (const id of [due, revoked]) {
        await t.call(admin, "PATCH", `/api/v1/keys/${id}`, { rotation_period: "P1D" });
      }
      await t.call(admin, "POST", `/api/v1/keys/${revoked}/revoke`);
      let pass = await t.services.scheduler.runOnce();
      assert.deepEqual([pass.checked, pass.rotated.length], [1, 0], "not due yet");
      now = new Date(now.getTime() + 24 * 3600 * 1000);
      pass = await t.services.scheduler.runOnce();
      assert.deepEqual(pass.rotated, [due]);
      const key = await t.call(admin, "GET", `/api/v1/keys/${due}`);
      assert.equal(key.body.current_version, 2);
      for (const id of [revoked, none]) {
        assert.equal((await t.call(admin, "GET", `/api/v1/keys/${id}`)).body.current_version, 1);
      }
      pass = await t.services.scheduler.runOnce();
      assert.deepEqual(pass.rotated, [], "the new version is not due yet");
      const rotations = await auditOf(t, "key.rotate");
      assert.deepEqual(rotations.map((e) => [e.actor, e.key_id, e.result]), [
        ["system", due, "ok"],
      ]);
    },
    ["--key-store", "memory"],
    () => now,
  );
});

Deno.test("under rotation dual control the scheduler opens one approval and waits", async () => {
  const dir = await Deno.makeTempDir();
  let now = new Date("2026-03-01T00:00:00Z");
  try {
    const policy = join(dir, "approvals.json");
    await Deno.writeTextFile(policy, JSON.stringify({ actions: { "key.rotate": { quorum: 1 } } }));
    await withApp(
      async (t, admin) => {
        const id = await create(t, admin, "EC-P256");
        await t.call(admin, "PATCH", `/api/v1/keys/${id}`, { rotation_period: "PT1H" });
        now = new Date(now.getTime() + 2 * 3600 * 1000);
        const first = await t.services.scheduler.runOnce();
        assert.deepEqual([first.requested, first.rotated], [[id], []]);
        const second = await t.services.scheduler.runOnce();
        assert.deepEqual([second.requested, second.failed], [[], []], "no second request");
        const pending = await t.call(admin, "GET", "/api/v1/approvals?state=pending");
        assert.equal(pending.body.items.length, 1);
        assert.equal(pending.body.items[0].requested_by, "system");
        const approved = await t.call(
          admin,
          "POST",
          `/api/v1/approvals/${pending.body.items[0].id}/approve`,
        );
        assert.equal(approved.body.state, "executed");
        assert.equal((await t.call(admin, "GET", `/api/v1/keys/${id}`)).body.current_version, 2);
      },
      ["--key-store", "memory", "--approval-policy", policy],
      () => now,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
