/**
 * Attacks on dual control: an administrator with write access to the database edits an
 * approval row (requester, quorum, expiry, action, key, parameters) to destroy a key
 * alone; a flood of destruction requests for one key. Edited approvals answer 422 and
 * never execute; at most one request per action and key is pending; the approvals list
 * is paginated.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { makeTestApp } from "./_app.ts";

const EDITS: [string, string][] = [
  ["requested_by", "UPDATE approvals SET requested_by = 'bob' WHERE id = ?"],
  ["quorum", "UPDATE approvals SET quorum = 1 WHERE id = ?"],
  ["expires_at", "UPDATE approvals SET expires_at = '2999-01-01T00:00:00.000Z' WHERE id = ?"],
  ["action", "UPDATE approvals SET action = 'key.destroy' WHERE id = ?"],
  [
    "key_id",
    "UPDATE approvals SET key_id = (SELECT id FROM keys WHERE name = 'victim') WHERE id = ?",
  ],
  ["params", "UPDATE approvals SET params = '{\"version\":1}' WHERE id = ?"],
  ["approvals", "UPDATE approvals SET approvals = '[]' WHERE id = ?"],
];

for (const [field, sql] of EDITS) {
  Deno.test(`an approval row with an edited ${field} answers 422 and never executes`, async () => {
    const dir = await Deno.makeTempDir();
    const policy = join(dir, "policy.json");
    await Deno.writeTextFile(
      policy,
      JSON.stringify({ actions: { "key.destroy": { quorum: 2 }, "key.rotate": { quorum: 1 } } }),
    );
    const t = await makeTestApp(["--approval-policy", policy]);
    const db = createClient({ url: `file:${join(t.inst.dataDir, "ferrohsm.db")}` });
    try {
      const alice = await t.inst.token("alice", ["Administrator"]);
      const bob = await t.inst.token("bob", ["Administrator"]);
      const victim = await t.call(alice, "POST", "/api/v1/keys", {
        name: "victim",
        algorithm: "AES-256-GCM",
      });
      const other = await t.call(alice, "POST", "/api/v1/keys", {
        name: "other",
        algorithm: "AES-256-GCM",
      });
      // A destruction of the victim (quorum 2), or a rotation of another key to repurpose.
      const target = field === "action" || field === "key_id" || field === "params"
        ? other.body.id
        : victim.body.id;
      const req = field === "action" || field === "key_id" || field === "params"
        ? await t.call(alice, "POST", `/api/v1/keys/${target}/rotate`)
        : await t.call(alice, "DELETE", `/api/v1/keys/${target}`);
      assert.equal(req.status, 202);
      const id = req.body.id;
      if (field === "approvals") {
        assert.equal(
          (await t.call(bob, "POST", `/api/v1/approvals/${id}/approve`)).body.state,
          "pending",
        );
      }
      await db.execute({ sql, args: [id] });
      await t.reopen(); // nothing cached: the row is read as the attacker left it
      const approver = field === "requested_by" ? alice : bob;
      const r = await t.call(approver, "POST", `/api/v1/approvals/${id}/approve`);
      assert.equal(r.status, 422, `approve after editing ${field}`);
      assert.equal(r.body.error.code, "integrity_error");
      assert.equal((await t.call(alice, "GET", `/api/v1/approvals/${id}`)).status, 422);
      const key = await t.call(alice, "GET", `/api/v1/keys/${victim.body.id}`);
      assert.equal(key.body.state, "active", "the victim key is untouched");
      assert.equal(
        (await t.call(alice, "GET", `/api/v1/keys/${other.body.id}`)).body.current_version,
        1,
      );
    } finally {
      db.close();
      await t.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("a flood of destruction requests for one key opens one approval; the rest are 409", async () => {
  const t = await makeTestApp();
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    const key = await t.call(admin, "POST", "/api/v1/keys", { name: "k", algorithm: "Ed25519" });
    const answers = await Promise.all(
      Array.from({ length: 200 }, () => t.call(admin, "DELETE", `/api/v1/keys/${key.body.id}`)),
    );
    assert.equal(answers.filter((a) => a.status === 202).length, 1);
    assert.ok(answers.every((a) => a.status === 202 || a.status === 409));
    const conflict = answers.find((a) => a.status === 409);
    assert.equal(conflict?.body.error.code, "conflict");
    const list = await t.call(admin, "GET", "/api/v1/approvals?state=pending");
    assert.equal(list.body.total, 1);
  } finally {
    await t.close();
  }
});

Deno.test("the approvals list is paginated with page, per_page (or limit) and total", async () => {
  const t = await makeTestApp();
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    for (let i = 0; i < 5; i++) {
      const key = await t.call(admin, "POST", "/api/v1/keys", {
        name: `k${i}`,
        algorithm: "Ed25519",
      });
      await t.call(admin, "DELETE", `/api/v1/keys/${key.body.id}`);
    }
    const first = await t.call(admin, "GET", "/api/v1/approvals?per_page=2");
    assert.deepEqual([first.body.items.length, first.body.page, first.body.total], [2, 1, 5]);
    const third = await t.call(admin, "GET", "/api/v1/approvals?page=3&limit=2");
    assert.deepEqual([third.body.items.length, third.body.per_page], [1, 2]);
    assert.equal((await t.call(admin, "GET", "/api/v1/approvals?per_page=101")).status, 400);
  } finally {
    await t.close();
  }
});
