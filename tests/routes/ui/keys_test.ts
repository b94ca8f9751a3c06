/**
 * The Keys page in process: the inventory per role, the table fragment the filters ask
 * for, keyset pages, the create form's inline errors (page and fragment), and a create
 * refused for an Auditor even when forced.
 */

import assert from "node:assert/strict";
import { auditActions, buttons, createKey, makeTestApp, signIn } from "./_ui.ts";

Deno.test("the inventory lists keys with name, algorithm and state; creators get the form", async () => {
  const t = await makeTestApp();
  try {
    const admin = await signIn(t, "alice", ["Administrator"]);
    await createKey(admin, { name: "payments", algorithm: "EC-P256", tags: "env=prod" });
    await createKey(admin, { name: "backups", algorithm: "AES-256-GCM" });
    const page = await admin.get("/ui/keys");
    assert.equal(page.status, 200);
    assert.match(page.text, /<caption>2 keys match<\/caption>/);
    assert.match(
      page.text,
      />payments<\/a><\/td><td class="nowrap">EC-P256<\/td><td><span class="badge badge-active">active/,
    );
    assert.match(page.text, />backups<\/a><\/td><td class="nowrap">AES-256-GCM<\/td>/);
    assert.match(page.text, /<label for="create-name">Name<\/label>/);
    assert.match(page.text, /<label for="create-algorithm">Algorithm<\/label>/);
    assert.ok(buttons(page.text).includes("Create key"));
    assert.ok(
      !/<label[^>]*>[^<]*(Name|Algorithm)[^<]*<\/label>/.test(
        page.text.replace(/<label for="create-(name|algorithm)">(Name|Algorithm)<\/label>/g, ""),
      ),
      "no other label contains Name or Algorithm",
    );

    for (const roles of [["Auditor"], ["Operator"]]) {
      const other = await signIn(t, roles[0] as string, roles);
      const view = await other.get("/ui/keys");
      assert.equal(view.status, 200);
      assert.match(view.text, />payments<\/a>/);
      assert.equal(buttons(view.text).includes("Create key"), roles[0] === "Operator");
    }
  } finally {
    await t.close();
  }
});

Deno.test("filters answer the table fragment only, and bad filters an error in it", async () => {
  const t = await makeTestApp();
  try {
    const admin = await signIn(t, "alice", ["Administrator"]);
    await createKey(admin, { name: "Payments signer", algorithm: "EC-P256", tags: "env=prod" });
    await createKey(admin, { name: "payments-db", algorithm: "AES-256-GCM", tags: "env=dev" });
    await createKey(admin, { name: "logs", algorithm: "AES-256-GCM", tags: "env=prod" });
    const fragment = async (query: string) => {
      const res = await admin.get(`/ui/keys?${query}`, { htmx: "key-table" });
      assert.equal(res.status, 200);
      assert.ok(res.text.startsWith('<div id="key-table"'), res.text.slice(0, 80));
      assert.ok(!res.text.includes("<html"), "a fragment, not a page");
      return res.text;
    };
    assert.match(await fragment("name=PAYMENTS"), /<caption>2 keys match/);
    assert.match(await fragment("name=payments&algorithm=AES-256-GCM"), /<caption>1 key match/);
    assert.match(await fragment("tag=env:prod"), /<caption>2 keys match/);
    assert.match(await fragment("state=revoked"), /No keys match these filters/);
    assert.match(await fragment("algorithm=ROT13"), /<caption>Unknown key type<\/caption>/);
    assert.match(await fragment("tag=noseparator"), /Write the tag filter as key:value/);
    assert.match(await fragment("after=%%%"), /no longer valid/);
  } finally {
    await t.close();
  }
});

Deno.test("keyset pages walk every key forward and back", async () => {
  const t = await makeTestApp(["--key-store", "memory"]);
  try {
    const admin = await signIn(t, "alice", ["Administrator"]);
    const actor = { id: "alice", roles: ["Administrator" as const] };
    for (let i = 0; i < 120; i++) {
      await t.services.keys.create(actor, {
        name: `k${String(i).padStart(3, "0")}`,
        algorithm: "HMAC-SHA256",
      });
    }
    const names = (html: string) =>
      [...html.matchAll(/>(k\d{3})<\/a>/g)].map((m) => m[1] as string);
    const link = (html: string, rel: string) => {
      const m = new RegExp(`rel="${rel}" href="/ui/keys\\?([^"]*)"`).exec(html);
      return m?.[1]?.replaceAll("&amp;", "&");
    };
    let page = (await admin.get("/ui/keys")).text;
    const seen = names(page);
    assert.equal(seen.length, 50);
    assert.equal(link(page, "prev"), undefined);
    for (let i = 0; i < 5 && link(page, "next") !== undefined; i++) {
      page = (await admin.get(`/ui/keys?${link(page, "next")}`, { htmx: "key-table" })).text;
      seen.push(...names(page));
    }
    assert.equal(seen.length, 120);
    const expected = (await t.services.stores.keys.list({ offset: 0, limit: 200 })).items;
    assert.deepEqual(seen, expected.map((r) => r.name), "creation order, then id");
    const back = (await admin.get(`/ui/keys?${link(page, "prev")}`)).text;
    assert.deepEqual(names(back), seen.slice(50, 100));
    assert.match(back, /rel="first" href="\/ui\/keys\?"/);
  } finally {
    await t.close();
  }
});

Deno.test("create errors are shown next to their fields, as a fragment for htmx", async () => {
  const t = await makeTestApp();
  try {
    const admin = await signIn(t, "alice", ["Administrator"]);
    const res = await admin.post("/ui/keys", {
      name: "",
      algorithm: "",
      tags: "env prod",
      usage: ["encrypt"],
    }, { htmx: "create-key" });
    assert.equal(res.status, 422);
    assert.ok(res.text.startsWith('<form id="create-key"'), res.text.slice(0, 60));
    assert.match(res.text, /aria-invalid="true" aria-describedby="create-name-error"/);
    assert.match(res.text, /<p id="create-name-error" class="field-error">Enter a name<\/p>/);
    assert.match(
      res.text,
      /<p id="create-algorithm-error" class="field-error">Choose an algorithm<\/p>/,
    );
    assert.match(
      res.text,
      /id="create-tags-error" class="field-error">Line 1: write each tag as key=value/,
    );

    const usage = await admin.post("/ui/keys", {
      name: "sig",
      algorithm: "Ed25519",
      usage: ["sign", "encrypt"],
      tags: "team=core",
    });
    assert.equal(usage.status, 422, "a page without JavaScript");
    assert.match(usage.text, /<html/);
    assert.match(usage.text, /Ed25519 keys cannot encrypt; allowed: sign, verify/);
    assert.match(usage.text, /value="sig"/, "what was typed stays");
    assert.match(usage.text, />team=core<\/textarea>/);
    const bad = await admin.post("/ui/keys", { name: "x<y>", algorithm: "AES-256-GCM" });
    assert.match(bad.text, /Use letters, digits, spaces and \. _ : \/ @ - only/);
    assert.ok(!bad.text.includes("x<y>"), "typed text is escaped");
    assert.equal((await t.services.stores.keys.list({ offset: 0, limit: 10 })).total, 0);

    const ok = await admin.post("/ui/keys", { name: "fine", algorithm: "AES-256-GCM" }, {
      htmx: "create-key",
    });
    assert.equal(ok.status, 204);
    assert.match(
      ok.headers.get("HX-Redirect") ?? "",
      /^\/ui\/keys\/[A-Za-z0-9_-]+\?notice=created$/,
    );
  } finally {
    await t.close();
  }
});

Deno.test("an Auditor forcing a create is refused with 403 and the refusal is audited", async () => {
  const t = await makeTestApp();
  try {
    const auditor = await signIn(t, "aud", ["Auditor"]);
    const res = await auditor.post("/ui/keys", { name: "sneaky", algorithm: "AES-256-GCM" });
    assert.equal(res.status, 403);
    assert.match(res.text, /Not allowed/);
    const htmx = await auditor.post("/ui/keys", { name: "sneaky", algorithm: "AES-256-GCM" }, {
      htmx: "create-key",
    });
    assert.equal(htmx.status, 403);
    assert.equal(htmx.headers.get("HX-Retarget"), "#notices");
    assert.equal((await t.services.stores.keys.list({ offset: 0, limit: 10 })).total, 0);
    const refused = (await auditActions(t)).filter((e) => e.action === "key.create");
    assert.deepEqual(refused.map((e) => [e.actor, e.result]), [["aud", "forbidden"], [
      "aud",
      "forbidden",
    ]]);
  } finally {
    await t.close();
  }
});
