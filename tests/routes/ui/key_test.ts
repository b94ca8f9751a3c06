/**
 * The key page in process: metadata, versions and public key; the actions each role
 * and state allow; each action's confirmation step (fragment and page); the confirmed
 * change swapped in with a notice; the PEM download; refusals when forced.
 */

import assert from "node:assert/strict";
import { buttons, createKey, makeTestApp, signIn } from "./_ui.ts";

Deno.test("the key page shows metadata, tags, versions, the public key and the allowed actions", async () => {
  const t = await makeTestApp();
  try {
    const admin = await signIn(t, "alice", ["Administrator"]);
    const id = await createKey(admin, {
      name: "release signer",
      algorithm: "EC-P256",
      tags: "env=prod\nteam=core",
    });
    const page = await admin.get(`/ui/keys/${id}?notice=created`);
    assert.equal(page.status, 200);
    assert.match(page.text, /<h1 id="key-title" tabindex="-1" >release signer<\/h1>/);
    assert.match(page.text, /<div class="notice success"><p>Key created\.<\/p>/);
    assert.match(page.text, /<li>env=prod<\/li><li>team=core<\/li>/);
    assert.match(page.text, /<strong>Version 1<\/strong>/);
    assert.match(page.text, /-----BEGIN PUBLIC KEY-----/);
    assert.match(page.text, new RegExp(`href="/ui/keys/${id}/public.pem" download`));
    assert.deepEqual(buttons(page.text).filter((b) => b !== "Sign out"), [
      "Rotate",
      "Revoke",
      "Destroy",
    ]);
    const unknownNotice = await admin.get(`/ui/keys/${id}?notice=%3Cscript%3E`);
    assert.ok(!unknownNotice.text.includes("<script>"));

    const pem = await admin.get(`/ui/keys/${id}/public.pem`);
    assert.equal(pem.status, 200);
    assert.equal(pem.headers.get("Content-Type"), "application/x-pem-file");
    assert.equal(
      pem.headers.get("Content-Disposition"),
      'attachment; filename="release_signer-v1.pem"',
    );
    assert.match(pem.text, /^-----BEGIN PUBLIC KEY-----\n/);

    const aes = await createKey(admin, { name: "data", algorithm: "AES-256-GCM" });
    const sym = await admin.get(`/ui/keys/${aes}`);
    assert.match(sym.text, /AES-256-GCM is a symmetric algorithm: there is no public key/);
    const missing = await admin.get("/ui/keys/no-such-key");
    assert.equal(missing.status, 404);
    assert.match(missing.text, /Not found/);
  } finally {
    await t.close();
  }
});

Deno.test("Auditors see the key read-only; Operators get the lifecycle actions", async () => {
  const t = await makeTestApp();
  try {
    const admin = await signIn(t, "alice", ["Administrator"]);
    const id = await createKey(admin, { name: "k", algorithm: "Ed25519" });
    const auditor = await signIn(t, "aud", ["Auditor"]);
    const view = await auditor.get(`/ui/keys/${id}`);
    assert.equal(view.status, 200);
    assert.deepEqual(buttons(view.text), ["Sign out"]);
    assert.match(view.text, /No lifecycle action is available to you/);
    const forced = await auditor.post(`/ui/keys/${id}/rotate`);
    assert.equal(forced.status, 403);
    const operator = await signIn(t, "op", ["Operator"]);
    const op = await operator.get(`/ui/keys/${id}`);
    assert.deepEqual(buttons(op.text).filter((b) => b !== "Sign out"), [
      "Rotate",
      "Revoke",
      "Destroy",
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("rotate, roll back and revoke confirm first, then swap in the new state", async () => {
  const t = await makeTestApp();
  try {
    const admin = await signIn(t, "alice", ["Administrator"]);
    const id = await createKey(admin, { name: "data", algorithm: "AES-256-GCM" });

    const confirm = await admin.get(`/ui/keys/${id}/actions?confirm=rotate`, {
      htmx: "key-actions",
    });
    assert.ok(
      confirm.text.startsWith('<div id="key-actions" class="confirm"'),
      confirm.text.slice(0, 80),
    );
    assert.deepEqual(buttons(confirm.text), ["Confirm rotate"]);
    assert.match(confirm.text, /data-autofocus/);
    assert.match(confirm.text, />Cancel<\/a>/);
    const cancel = await admin.get(`/ui/keys/${id}/actions`, { htmx: "key-actions" });
    assert.deepEqual(buttons(cancel.text), ["Rotate", "Revoke", "Destroy"]);
    const noJs = await admin.get(`/ui/keys/${id}?confirm=rotate`);
    assert.ok(buttons(noJs.text).includes("Confirm rotate"), "the step works as a page too");

    const rotated = await admin.post(`/ui/keys/${id}/rotate`, {}, { htmx: "key-main" });
    assert.equal(rotated.status, 200);
    assert.ok(rotated.text.startsWith('<section id="key-main"'));
    assert.match(rotated.text, /<h1 id="key-title" tabindex="-1" data-autofocus="">data<\/h1>/);
    assert.match(rotated.text, /current version v2/);
    assert.match(
      rotated.text,
      /<strong>Version 2<\/strong> <span class="badge badge-active">current<\/span>/,
    );
    assert.match(
      rotated.text,
      /<strong>Version 1<\/strong> <span class="badge badge-revoked" title="Still decrypts and verifies">retired/,
    );
    assert.match(rotated.text, /<div id="notices" hx-swap-oob="innerHTML">.*Key rotated/);
    assert.ok(buttons(rotated.text).includes("Roll back"), "two versions: roll back is offered");

    const rollbackStep = await admin.get(`/ui/keys/${id}/actions?confirm=rollback`, {
      htmx: "key-actions",
    });
    assert.match(rollbackStep.text, /<label for="rollback-version">Version<\/label>/);
    assert.match(rollbackStep.text, /<option value="1">Version 1<\/option>/);
    const rolled = await admin.post(`/ui/keys/${id}/rollback`, { version: "1" });
    assert.equal(rolled.status, 303, "without JavaScript: back to the page");
    assert.equal(rolled.headers.get("Location"), `/ui/keys/${id}?notice=rolled_back`);
    const after = await admin.get(`/ui/keys/${id}`);
    assert.match(after.text, /material of version 1 \(roll back\)/);
    const badVersion = await admin.post(`/ui/keys/${id}/rollback`, { version: "9" }, {
      htmx: "key-main",
    });
    assert.equal(badVersion.status, 400);
    assert.equal(badVersion.headers.get("HX-Retarget"), "#notices");
    assert.match(badVersion.text, /Cannot roll back to version 9/);

    const revoked = await admin.post(`/ui/keys/${id}/revoke`, {}, { htmx: "key-main" });
    assert.match(
      revoked.text,
      /<span class="badge badge-revoked">revoked<\/span> · current version v3/,
    );
    assert.match(
      revoked.text,
      /<strong>Version 3<\/strong> <span class="badge badge-revoked">revoked/,
    );
    assert.deepEqual(buttons(revoked.text), ["Destroy"]);
    const again = await admin.post(`/ui/keys/${id}/revoke`, {}, { htmx: "key-main" });
    assert.equal(again.status, 409);
    assert.match(again.text, /Not possible now: Cannot revoke key/);
  } finally {
    await t.close();
  }
});

Deno.test("destroy opens an approval that shows on the key page and is not offered twice", async () => {
  const t = await makeTestApp();
  try {
    const admin = await signIn(t, "alice", ["Administrator"]);
    const id = await createKey(admin, { name: "old", algorithm: "HMAC-SHA256" });
    const step = await admin.get(`/ui/keys/${id}/actions?confirm=destroy`, { htmx: "key-actions" });
    assert.deepEqual(buttons(step.text), ["Confirm destroy"]);
    assert.match(step.text, /needs the approval of a second administrator/);
    const res = await admin.post(`/ui/keys/${id}/destroy`, {}, { htmx: "key-main" });
    assert.equal(res.status, 200);
    assert.match(res.text, /Destruction requested/);
    assert.match(res.text, /Destroy key requested by <strong>alice<\/strong>: 0 of 1 approvals/);
    assert.deepEqual(buttons(res.text), ["Rotate", "Revoke"]);
  } finally {
    await t.close();
  }
});
