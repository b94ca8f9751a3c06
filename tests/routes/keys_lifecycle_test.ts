/**
 * End-to-end lifecycle over HTTP against the real server process (SQLite stores,
 * durable audit): create, use, rotate, roll back, revoke, destroy through an approval.
 */

import assert from "node:assert/strict";
import { makeInstallation } from "../../testing/installation.ts";
import { client, startServerProcess } from "../../testing/server_process.ts";

const b64 = (s: string) => btoa(s);

Deno.test("a key goes through its whole lifecycle over HTTP", async (t) => {
  const inst = await makeInstallation();
  const server = await startServerProcess(inst.flags());
  try {
    const admin = client(server.url, await inst.token("alice", ["Administrator"]));
    const admin2 = client(server.url, await inst.token("bob", ["Administrator"]));
    let id = "";
    let v1Ciphertext = "";

    await t.step("create answers 201 with the key object and no material", async () => {
      const r = await admin("POST", "/api/v1/keys", {
        name: "payments",
        algorithm: "AES-256-GCM",
        usage: ["encrypt", "decrypt"],
        tags: { team: "pay" },
      });
      assert.equal(r.status, 201);
      assert.equal(r.body.state, "active");
      assert.equal(r.body.current_version, 1);
      assert.deepEqual(r.body.tags, { team: "pay" });
      assert.equal(r.body.origin, "generated");
      assert.deepEqual(
        Object.keys(r.body).sort(),
        [
          "algorithm",
          "created_at",
          "current_version",
          "dual_control",
          "id",
          "name",
          "origin",
          "state",
          "tags",
          "updated_at",
          "usage",
        ],
      );
      id = r.body.id;
    });

    await t.step("encrypt returns a self-describing ciphertext that decrypts", async () => {
      const enc = await admin("POST", `/api/v1/keys/${id}/encrypt`, {
        plaintext: b64("hello"),
        aad: b64("ctx"),
      });
      assert.equal(enc.status, 200);
      assert.match(enc.body.ciphertext, /^fhsm:v1:/);
      v1Ciphertext = enc.body.ciphertext;
      const dec = await admin("POST", `/api/v1/keys/${id}/decrypt`, {
        ciphertext: v1Ciphertext,
        aad: b64("ctx"),
      });
      assert.equal(dec.status, 200);
      assert.equal(atob(dec.body.plaintext), "hello");
      const wrongAad = await admin("POST", `/api/v1/keys/${id}/decrypt`, {
        ciphertext: v1Ciphertext,
        aad: b64("other"),
      });
      assert.equal(wrongAad.status, 400);
      assert.equal(wrongAad.body.error.code, "invalid_request");
    });

    await t.step("rotate keeps earlier versions decryptable", async () => {
      const rot = await admin("POST", `/api/v1/keys/${id}/rotate`);
      assert.equal(rot.status, 200);
      assert.equal(rot.body.current_version, 2);
      const enc = await admin("POST", `/api/v1/keys/${id}/encrypt`, { plaintext: b64("v2") });
      assert.match(enc.body.ciphertext, /^fhsm:v2:/);
      const dec = await admin("POST", `/api/v1/keys/${id}/decrypt`, {
        ciphertext: v1Ciphertext,
        aad: b64("ctx"),
      });
      assert.equal(dec.status, 200);
      assert.equal(dec.body.version, 1);
    });

    await t.step("versions lists every version with derived states", async () => {
      const r = await admin("GET", `/api/v1/keys/${id}/versions`);
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.body.items.map((v: { version: number; state: string }) => [v.version, v.state]),
        [
          [1, "revoked"],
          [2, "active"],
        ],
      );
    });

    await t.step("rollback records a new generation holding the old material", async () => {
      const bad = await admin("POST", `/api/v1/keys/${id}/rollback`, { version: 5 });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /Cannot roll back to version 5: latest version is 2/);
      const r = await admin("POST", `/api/v1/keys/${id}/rollback`, { version: 1 });
      assert.equal(r.status, 200);
      assert.equal(r.body.current_version, 3);
      const enc = await admin("POST", `/api/v1/keys/${id}/encrypt`, { plaintext: b64("x") });
      assert.match(enc.body.ciphertext, /^fhsm:v3:/);
      // v3 holds v1's material: a v1 ciphertext relabelled as v3 decrypts.
      const relabelled = v1Ciphertext.replace(/^fhsm:v1:/, "fhsm:v3:");
      const dec = await admin("POST", `/api/v1/keys/${id}/decrypt`, {
        ciphertext: relabelled,
        aad: b64("ctx"),
      });
      assert.equal(dec.status, 200);
      assert.equal(atob(dec.body.plaintext), "hello");
      const versions = await admin("GET", `/api/v1/keys/${id}/versions`);
      assert.equal(versions.body.items[2].source_version, 1);
    });

    await t.step("revoke refuses encrypt but still decrypts", async () => {
      const r = await admin("POST", `/api/v1/keys/${id}/revoke`);
      assert.equal(r.status, 200);
      assert.equal(r.body.state, "revoked");
      const enc = await admin("POST", `/api/v1/keys/${id}/encrypt`, { plaintext: b64("no") });
      assert.equal(enc.status, 409);
      assert.equal(enc.body.error.code, "invalid_state");
      const dec = await admin("POST", `/api/v1/keys/${id}/decrypt`, {
        ciphertext: v1Ciphertext,
        aad: b64("ctx"),
      });
      assert.equal(dec.status, 200);
      const rot = await admin("POST", `/api/v1/keys/${id}/rotate`);
      assert.equal(rot.status, 409);
    });

    await t.step("destroy needs a second, distinct administrator", async () => {
      const req = await admin("DELETE", `/api/v1/keys/${id}`);
      assert.equal(req.status, 202);
      assert.equal(req.body.state, "pending");
      assert.equal(req.body.action, "key.destroy");
      assert.equal(req.body.requested_by, "alice");
      const self = await admin("POST", `/api/v1/approvals/${req.body.id}/approve`);
      assert.equal(self.status, 403);
      const stillThere = await admin("GET", `/api/v1/keys/${id}`);
      assert.equal(stillThere.body.state, "revoked");
      const ok = await admin2("POST", `/api/v1/approvals/${req.body.id}/approve`);
      assert.equal(ok.status, 200);
      assert.equal(ok.body.state, "executed");
      assert.deepEqual(ok.body.approvals.map((a: { actor: string }) => a.actor), ["bob"]);
      const gone = await admin("GET", `/api/v1/keys/${id}`);
      assert.equal(gone.body.state, "destroyed");
      const dec = await admin("POST", `/api/v1/keys/${id}/decrypt`, {
        ciphertext: v1Ciphertext,
        aad: b64("ctx"),
      });
      assert.equal(dec.status, 409);
      const versions = await admin("GET", `/api/v1/keys/${id}/versions`);
      assert.deepEqual(versions.body.items, []);
    });

    await t.step("the audit log recorded every step and verifies", async () => {
      const r = await admin("GET", "/api/v1/audit?limit=1000");
      assert.equal(r.status, 200);
      const actions = r.body.items.map((e: { action: string }) => e.action);
      for (
        const a of [
          "key.create",
          "key.encrypt",
          "key.decrypt",
          "key.rotate",
          "key.rollback",
          "key.revoke",
          "key.destroy.request",
          "approval.approve",
          "key.destroy.execute",
        ]
      ) assert.ok(actions.includes(a), `missing ${a}`);
      const exec = r.body.items.find((e: { action: string }) => e.action === "key.destroy.execute");
      assert.deepEqual(JSON.parse(exec.actor), ["bob"]);
      assert.equal(exec.key_id, id);
      const text = JSON.stringify(r.body);
      assert.ok(!text.includes(b64("hello")), "plaintext must not appear in audit entries");
      const v = await admin("GET", "/api/v1/audit/verify");
      assert.equal(v.status, 200);
      assert.equal(v.body.valid, true);
      assert.ok(v.body.entries >= 20);
    });
  } finally {
    assert.equal(await server.stop(), 0);
    await inst.cleanup();
  }
});
