/**
 * The Approvals page in process: pending requests with quorum progress and time left,
 * no Approve for the requester (and a refusal when forced), a second administrator's
 * approval executing the destruction, Deny, history, and read-only roles.
 */

import assert from "node:assert/strict";
import { auditActions, buttons, createKey, makeTestApp, signIn } from "./_ui.ts";

Deno.test("the requester sees no Approve; a second administrator approves and the key is destroyed", async () => {
  const t = await makeTestApp();
  try {
    const alice = await signIn(t, "alice", ["Administrator"]);
    const bob = await signIn(t, "bob", ["Administrator"]);
    const id = await createKey(alice, { name: "retired", algorithm: "AES-256-GCM" });
    await alice.post(`/ui/keys/${id}/destroy`);

    const own = await alice.get("/ui/approvals");
    assert.match(own.text, /<td id="approval-[^"]+">Destroy key<\/td>/);
    assert.match(own.text, /title="[^"]+">retired<\/a>/, "the key is named");
    assert.match(own.text, /alice \(you\)/);
    assert.match(own.text, /0 of 1/);
    assert.match(own.text, /23 h 59 min left|24 h left/);
    assert.deepEqual(buttons(own.text).filter((b) => b !== "Sign out"), ["Deny"]);
    assert.match(own.text, /Your request: another person must approve it/);
    const approvalId = /action="\/ui\/approvals\/([A-Za-z0-9_-]+)\/deny"/.exec(own.text)?.[1];
    assert.ok(approvalId !== undefined);
    const forced = await alice.post(`/ui/approvals/${approvalId}/approve`, {}, {
      htmx: "approvals-main",
    });
    assert.equal(forced.status, 403);
    assert.match(forced.text, /Cannot approve your own request/);

    const other = await bob.get("/ui/approvals");
    assert.deepEqual(buttons(other.text).filter((b) => b !== "Sign out"), ["Approve", "Deny"]);
    const approved = await bob.post(`/ui/approvals/${approvalId}/approve`, {}, {
      htmx: "approvals-main",
    });
    assert.equal(approved.status, 200);
    assert.ok(approved.text.startsWith('<div id="approvals-main">'));
    assert.match(approved.text, /No request is waiting for approval/);
    assert.match(approved.text, /<span class="badge badge-executed">executed<\/span>/);
    assert.match(approved.text, /the quorum is met and the action was carried out/);
    assert.equal((await t.services.keys.record(id)).state, "destroyed");
    const gone = await alice.get(`/ui/keys/${id}`);
    assert.match(gone.text, /<span class="badge badge-destroyed">destroyed<\/span>/);
    assert.match(gone.text, /No version is left: the key is destroyed\./);
    assert.deepEqual(buttons(gone.text), ["Sign out"]);
    const log = await auditActions(t);
    assert.ok(
      log.some((e) => e.action === "approval.approve" && e.actor === "bob" && e.result === "ok"),
    );
    assert.ok(log.some((e) => e.action === "key.destroy.execute" && e.actor === `["bob"]`));
  } finally {
    await t.close();
  }
});

Deno.test("Deny ends a request; Operators and Auditors read approvals without deciding", async () => {
  const t = await makeTestApp();
  try {
    const alice = await signIn(t, "alice", ["Administrator"]);
    const bob = await signIn(t, "bob", ["Administrator"]);
    const id = await createKey(alice, { name: "k", algorithm: "AES-256-GCM" });
    await alice.post(`/ui/keys/${id}/destroy`);
    for (const role of ["Operator", "Auditor"]) {
      const reader = await signIn(t, role.toLowerCase(), [role]);
      const page = await reader.get("/ui/approvals");
      assert.equal(page.status, 200);
      assert.match(page.text, /Destroy key/);
      assert.deepEqual(buttons(page.text), ["Sign out"], role);
    }
    const approvalId = /action="\/ui\/approvals\/([A-Za-z0-9_-]+)\/deny"/.exec(
      (await bob.get("/ui/approvals")).text,
    )?.[1] as string;
    const denied = await bob.post(`/ui/approvals/${approvalId}/deny`);
    assert.equal(denied.status, 303);
    assert.equal(denied.headers.get("Location"), "/ui/approvals?notice=denied");
    const after = await bob.get("/ui/approvals?notice=denied");
    assert.match(after.text, /Request denied\./);
    assert.match(after.text, /<span class="badge badge-denied">denied<\/span>/);
    assert.equal((await t.services.keys.record(id)).state, "active");
    const twice = await bob.post(`/ui/approvals/${approvalId}/deny`);
    assert.equal(twice.status, 409);
  } finally {
    await t.close();
  }
});
