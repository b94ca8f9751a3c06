/**
 * The Audit page in process: the hash-linked timeline newest first, filters (table
 * fragment), Load more, Verify chain (intact, and broken after an edit at rest), and
 * the roles that may read it.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { buttons, createKey, makeTestApp, signIn } from "./_ui.ts";

const seqs = (html: string) =>
  [...html.matchAll(/<td class="num">(\d+)<\/td>/g)].map((m) => Number(m[1]));

Deno.test("the timeline is newest first, hash-linked, filterable and pages with Load more", async () => {
  const t = await makeTestApp();
  try {
    const admin = await signIn(t, "alice", ["Administrator"]);
    const id = await createKey(admin, { name: "k", algorithm: "AES-256-GCM" });
    for (let i = 0; i < 30; i++) await admin.get(`/ui/keys/${id}`); // read, versions, approvals
    const page = await admin.get("/ui/audit");
    assert.equal(page.status, 200);
    assert.ok(buttons(page.text).includes("Verify chain"));
    for (const h of ["Seq", "Time", "Actor", "Action", "Key", "Result", "Hash", "Previous hash"]) {
      assert.match(page.text, new RegExp(`<th scope="col"[^>]*>${h}</th>`));
    }
    const first = seqs(page.text);
    assert.equal(first.length, 50);
    assert.deepEqual(first, first.toSorted((a, b) => b - a), "newest first");
    assert.equal(first[0], t.services.auditLog.head().seq - 1, "all but this page's own read");
    assert.match(page.text, /links to entry \d+/);
    const more = /hx-get="\/ui\/audit\/rows\?([^"]+)"/.exec(page.text)?.[1]?.replaceAll(
      "&amp;",
      "&",
    );
    assert.ok(more !== undefined, "Load more is offered");
    const next = await admin.get(`/ui/audit/rows?${more}`, { htmx: "audit-more" });
    assert.ok(next.text.startsWith("<tbody>"));
    assert.equal(seqs(next.text)[0], (first.at(-1) as number) - 1);

    const filtered = await admin.get("/ui/audit?action=key&actor=alice", { htmx: "audit-table" });
    assert.ok(filtered.text.startsWith('<div id="audit-table"'));
    const actions = [...filtered.text.matchAll(/<td><code>([a-z._]+)<\/code><\/td>/g)].map((m) =>
      m[1]
    );
    assert.ok(actions.length > 0 && actions.every((a) => a?.startsWith("key.")), actions.join());
    const byKey = await admin.get(`/ui/audit?key=${id}`, { htmx: "audit-table" });
    assert.ok(!byKey.text.includes(">ui.sign_in<"));
    const none = await admin.get("/ui/audit?actor=nobody", { htmx: "audit-table" });
    assert.match(none.text, /No entry matches these filters/);
  } finally {
    await t.close();
  }
});

Deno.test("Verify chain says Chain intact, and Chain broken at the entry edited at rest", async () => {
  const t = await makeTestApp();
  const db = createClient({ url: `file:${join(t.inst.dataDir, "ferrohsm.db")}` });
  try {
    const auditor = await signIn(t, "aud", ["Auditor"]);
    const intact = await auditor.get("/ui/audit/verify", { htmx: "verify-result" });
    assert.equal(intact.status, 200);
    assert.match(
      intact.text,
      /^<div class="notice success"><p>Chain intact \(\d+ entries\)<\/p><\/div>$/,
    );
    const page = await auditor.get("/ui/audit/verify");
    assert.match(
      page.text,
      /<div id="verify-result" role="status" aria-live="polite"><div class="notice success"><p>Chain intact/,
    );
    const overview = await auditor.get("/ui");
    assert.match(overview.text, /Chain intact \(\d+ entries\)<\/span>, <time/);

    await db.execute("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 1");
    const broken = await auditor.get("/ui/audit/verify", { htmx: "verify-result" });
    assert.match(
      broken.text,
      /<div class="notice error"><p>Chain broken at entry 1: mac_mismatch<\/p>/,
    );
  } finally {
    db.close();
    await t.close();
  }
});

Deno.test("Operators have no Audit section and are refused its pages", async () => {
  const t = await makeTestApp();
  try {
    const operator = await signIn(t, "op", ["Operator"]);
    const home = await operator.get("/ui");
    assert.ok(!home.text.includes('href="/ui/audit"'));
    assert.equal((await operator.get("/ui/audit")).status, 403);
    assert.equal((await operator.get("/ui/audit/verify", { htmx: "verify-result" })).status, 403);
  } finally {
    await t.close();
  }
});
