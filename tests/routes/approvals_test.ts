/**
 * Dual control over HTTP against the real server (SQLite approval store): staged keys,
 * self-approval, quorum of two distinct approvers, denial, expiry, rotation under
 * approval, and approvals surviving a restart.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { makeInstallation } from "../../testing/installation.ts";
import { type ApiCall, client, startServerProcess } from "../../testing/server_process.ts";

const MSG = btoa("approve me");

Deno.test("dual control over HTTP: staging, quorum, denial, expiry and rotation", async (t) => {
  const inst = await makeInstallation();
  const policy = join(inst.dir, "approvals.json");
  await Deno.writeTextFile(
    policy,
    JSON.stringify({ actions: { "key.destroy": { quorum: 2 }, "key.rotate": { quorum: 1 } } }),
  );
  const server = await startServerProcess(inst.flags(["--approval-policy", policy]));
  try {
    const as = async (sub: string): Promise<ApiCall> =>
      client(server.url, await inst.token(sub, ["Administrator"]));
    const alice = await as("alice"), bob = await as("bob"), carol = await as("carol");

    await t.step("a staged key cannot be used until a second actor approves", async () => {
      const r = await alice("POST", "/api/v1/keys", {
        name: "dc",
        algorithm: "EC-P256",
        dual_control: true,
      });
      assert.equal(r.status, 202);
      assert.equal(r.body.key.state, "staged");
      const id = r.body.key.id;
      assert.equal((await alice("POST", `/api/v1/keys/${id}/sign`, { message: MSG })).status, 409);
      const self = await alice("POST", `/api/v1/approvals/${r.body.approval.id}/approve`);
      assert.equal(self.status, 403, "self-approval refused");
      const ok = await bob("POST", `/api/v1/approvals/${r.body.approval.id}/approve`);
      assert.equal(ok.body.state, "executed");
      assert.equal((await alice("POST", `/api/v1/keys/${id}/sign`, { message: MSG })).status, 200);
    });

    await t.step("a quorum of two needs two distinct approvers", async () => {
      const k = await alice("POST", "/api/v1/keys", { name: "q", algorithm: "Ed25519" });
      const req = await alice("DELETE", `/api/v1/keys/${k.body.id}`);
      assert.equal(req.body.quorum, 2);
      const first = await bob("POST", `/api/v1/approvals/${req.body.id}/approve`);
      assert.equal(first.body.state, "pending");
      const again = await bob("POST", `/api/v1/approvals/${req.body.id}/approve`);
      assert.equal(again.status, 409, "one actor counts once");
      assert.equal((await alice("GET", `/api/v1/keys/${k.body.id}`)).body.state, "active");
      const second = await carol("POST", `/api/v1/approvals/${req.body.id}/approve`);
      assert.equal(second.body.state, "executed");
      assert.deepEqual(second.body.approvals.map((a: { actor: string }) => a.actor), [
        "bob",
        "carol",
      ]);
      assert.equal((await alice("GET", `/api/v1/keys/${k.body.id}`)).body.state, "destroyed");
      const log = await alice("GET", "/api/v1/audit?limit=1000");
      const exec = log.body.items.find((e: { action: string; key_id: string }) =>
        e.action === "key.destroy.execute" && e.key_id === k.body.id
      );
      assert.deepEqual(
        JSON.parse(exec.actor),
        ["bob", "carol"],
        "the execution entry names every approver as a list",
      );
    });

    await t.step("a denial ends the request", async () => {
      const k = await alice("POST", "/api/v1/keys", { name: "d", algorithm: "Ed25519" });
      const req = await alice("DELETE", `/api/v1/keys/${k.body.id}`);
      const denied = await bob("POST", `/api/v1/approvals/${req.body.id}/deny`);
      assert.equal(denied.body.state, "denied");
      assert.equal((await carol("POST", `/api/v1/approvals/${req.body.id}/approve`)).status, 409);
      assert.equal((await alice("GET", `/api/v1/keys/${k.body.id}`)).body.state, "active");
      const list = await alice("GET", "/api/v1/approvals?state=denied");
      assert.ok(list.body.items.some((a: { id: string }) => a.id === req.body.id));
    });

    await t.step("rotation under dual control waits for its approval", async () => {
      const k = await alice("POST", "/api/v1/keys", { name: "r", algorithm: "AES-256-GCM" });
      const req = await alice("POST", `/api/v1/keys/${k.body.id}/rotate`);
      assert.equal(req.status, 202);
      assert.equal(req.body.action, "key.rotate");
      assert.equal((await alice("GET", `/api/v1/keys/${k.body.id}`)).body.current_version, 1);
      const ok = await bob("POST", `/api/v1/approvals/${req.body.id}/approve`);
      assert.equal(ok.body.state, "executed");
      assert.equal((await alice("GET", `/api/v1/keys/${k.body.id}`)).body.current_version, 2);
    });
  } finally {
    assert.equal(await server.stop(), 0);
    await inst.cleanup();
  }
});

Deno.test("an expired approval can never execute", async () => {
  const inst = await makeInstallation();
  const policy = join(inst.dir, "approvals.json");
  await Deno.writeTextFile(policy, JSON.stringify({ ttl_seconds: 1 }));
  const server = await startServerProcess(inst.flags(["--approval-policy", policy]));
  try {
    const alice = client(server.url, await inst.token("alice", ["Administrator"]));
    const bob = client(server.url, await inst.token("bob", ["Administrator"]));
    const k = await alice("POST", "/api/v1/keys", { name: "e", algorithm: "Ed25519" });
    const req = await alice("DELETE", `/api/v1/keys/${k.body.id}`);
    await new Promise((r) => setTimeout(r, 1200));
    const late = await bob("POST", `/api/v1/approvals/${req.body.id}/approve`);
    assert.equal(late.status, 409);
    assert.match(late.body.error.message, /expired/);
    assert.equal((await alice("GET", `/api/v1/approvals/${req.body.id}`)).body.state, "expired");
    assert.equal((await alice("GET", `/api/v1/keys/${k.body.id}`)).body.state, "active");
    const list = await alice("GET", "/api/v1/approvals?state=expired");
    assert.equal(list.body.items.length, 1);
  } finally {
    await server.stop();
    await inst.cleanup();
  }
});

Deno.test("a pending approval survives a restart with the SQLite store", async () => {
  const inst = await makeInstallation();
  let server = await startServerProcess(inst.flags(["--approval-store", "sqlite"]));
  let keyId = "", approvalId = "";
  try {
    const alice = client(server.url, await inst.token("alice", ["Administrator"]));
    const k = await alice("POST", "/api/v1/keys", { name: "p", algorithm: "Ed25519" });
    keyId = k.body.id;
    approvalId = (await alice("DELETE", `/api/v1/keys/${keyId}`)).body.id;
  } finally {
    assert.equal(await server.stop(), 0);
  }
  server = await startServerProcess(inst.flags(["--approval-store", "sqlite"]));
  try {
    const bob = client(server.url, await inst.token("bob", ["Administrator"]));
    const pending = await bob("GET", "/api/v1/approvals?state=pending");
    assert.deepEqual(pending.body.items.map((a: { id: string }) => a.id), [approvalId]);
    const ok = await bob("POST", `/api/v1/approvals/${approvalId}/approve`);
    assert.equal(ok.body.state, "executed");
    assert.equal((await bob("GET", `/api/v1/keys/${keyId}`)).body.state, "destroyed");
  } finally {
    await server.stop();
    await inst.cleanup();
  }
});
