/**
 * The dashboard's cross-cutting rules in process: CSRF refusals (missing or wrong
 * token, foreign or missing Origin) with nothing changed, session expiry (idle and
 * absolute, polling not counting as activity), certificate sign-in and the binding of a
 * session to its certificate, the Overview and its polled fragment, static assets, and
 * HTML for unknown pages.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseServeConfig } from "../../../src/config/config.ts";
import { loadServerConfig } from "../../../src/config/config_files.ts";
import { SessionStore } from "../../../src/http/ui_sessions.ts";
import { buildApp } from "../../../src/server/app.ts";
import { ASSETS } from "../../../views/assets.ts";
import {
  auditActions,
  buttons,
  makeTestApp,
  ORIGIN,
  send,
  sessionCookieOf,
  signIn,
} from "./_ui.ts";

Deno.test("state changes without the session's token or from another origin answer 403 and change nothing", async () => {
  const t = await makeTestApp();
  try {
    const ui = await signIn(t, "alice", ["Administrator"]);
    const form = { name: "x", algorithm: "AES-256-GCM" };
    const refusals = [
      await ui.post("/ui/keys", form, { csrf: "none" }),
      await ui.post("/ui/keys", { ...form, _csrf: "forged" }, { csrf: "none" }),
      await ui.post("/ui/keys", form, { headers: { Origin: "https://evil.example" } }),
      await ui.post("/ui/keys", form, { headers: { Origin: "null" } }),
      await ui.post("/ui/keys", form, { headers: { "Sec-Fetch-Site": "cross-site" } }),
      await ui.post("/ui/keys", form, { csrf: "none", htmx: "create-key" }),
      await ui.post("/ui/logout", {}, { csrf: "none" }),
    ];
    for (const res of refusals) {
      assert.equal(res.status, 403);
      assert.match(res.text, /Cannot accept/);
    }
    assert.equal(refusals[5]?.headers.get("HX-Retarget"), "#notices");
    assert.equal((await t.services.stores.keys.list({ offset: 0, limit: 5 })).total, 0);
    assert.equal((await ui.get("/ui")).status, 200, "the refused sign-out left the session open");
    const noOrigin = await t.app.request("/ui/keys", {
      method: "POST",
      headers: { Cookie: ui.cookie, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...form, _csrf: ui.csrf }),
    });
    assert.equal(noOrigin.status, 403);
    const header = await ui.post("/ui/keys", form, { csrf: "header", htmx: "create-key" });
    assert.equal(header.status, 204, "the htmx header carries the token");
    const other = await signIn(t, "bob", ["Administrator"]);
    const swapped = await ui.post("/ui/keys", { ...form, _csrf: other.csrf }, { csrf: "none" });
    assert.equal(swapped.status, 403, "another session's token is not this session's");
    const noSession = await send(t, "POST", "/ui/keys", { body: new URLSearchParams(form) });
    assert.equal(noSession.status, 403);
  } finally {
    await t.close();
  }
});

Deno.test("a session ends after its idle timeout and lifetime; polling does not keep it alive", async () => {
  const t = await makeTestApp();
  try {
    const config = await loadServerConfig(parseServeConfig(t.inst.flags(), () => undefined));
    const clock = { now: Date.now() };
    const sessions = new SessionStore({ idleMs: 60_000, ttlMs: 150_000, clock: () => clock.now });
    t.app = buildApp({ ...t.services, uiSessions: sessions }, config, () => true);
    const ui = await signIn(t, "alice", ["Administrator"]);
    clock.now += 50_000;
    assert.equal((await ui.get("/ui/overview/stats", { htmx: "overview-stats" })).status, 200);
    clock.now += 50_000;
    const idle = await ui.get("/ui/overview/stats", { htmx: "overview-stats" });
    assert.equal(idle.status, 401, "100 s without activity: polling alone did not count");
    assert.equal(idle.headers.get("HX-Redirect"), "/ui/login?reason=expired");

    const again = await signIn(t, "alice", ["Administrator"]);
    for (let i = 0; i < 3; i++) {
      clock.now += 50_000;
      const res = await again.get("/ui/keys");
      assert.equal(res.status, i < 2 ? 200 : 303, `after ${(i + 1) * 50} s of activity`);
    }
    const login = await again.get("/ui/keys");
    assert.equal(login.headers.get("Location"), "/ui/login?reason=expired");
    const expiredPage = await send(t, "GET", "/ui/login?reason=expired");
    assert.match(expiredPage.text, /Your session has ended/);
  } finally {
    await t.close();
  }
});

Deno.test("a listed client certificate signs in by itself and the session stays bound to it", async () => {
  const thumbprint = "Q".repeat(43);
  const other = "R".repeat(43);
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-ui-certs-" });
  const map = join(dir, "ui-certs.json");
  await Deno.writeTextFile(
    map,
    JSON.stringify({
      version: 1,
      certificates: [{ "x5t#S256": thumbprint, sub: "carol", roles: ["Auditor"] }],
    }),
  );
  // The listener is not started in process: the TLS flags only need to be present.
  const tls = ["--tls-cert", map, "--tls-key", map, "--tls-client-ca", map];
  const t = await makeTestApp([...tls, "--ui-client-certs", map]);
  try {
    const env = { clientCertThumbprint: thumbprint };
    const res = await send(t, "GET", "/ui/login", { options: { env } });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), "/ui");
    const cookie = sessionCookieOf(res.headers) as string;
    const home = await send(t, "GET", "/ui", { cookie, options: { env } });
    assert.match(home.text, /Signed in as <strong>carol<\/strong> \(Auditor\)/);
    const stolen = await send(t, "GET", "/ui", {
      cookie,
      options: { env: { clientCertThumbprint: other } },
    });
    assert.equal(stolen.status, 303, "the cookie is worthless over another certificate");
    const after = await send(t, "GET", "/ui", { cookie, options: { env } });
    assert.equal(after.status, 303, "and that replay ended the session");
    const unlisted = await send(t, "GET", "/ui/login", {
      options: { env: { clientCertThumbprint: other } },
    });
    assert.equal(unlisted.status, 200, "an unlisted certificate gets the token form");
    assert.match(unlisted.text, /Client certificates listed/);
    const log = (await auditActions(t)).filter((e) => e.action === "ui.sign_in");
    assert.deepEqual(log.map((e) => e.actor), ["carol"]);
  } finally {
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--ui-client-certs without --tls-client-ca is a configuration error", () => {
  assert.throws(
    () => parseServeConfig(["--ui-client-certs", "/x.json"], () => undefined),
    /--ui-client-certs needs --tls-client-ca/,
  );
});

Deno.test("the Overview shows figures from the metrics and its fragment polls itself", async () => {
  const t = await makeTestApp();
  try {
    const ui = await signIn(t, "aud", ["Auditor"]);
    const page = await ui.get("/ui");
    assert.equal(page.status, 200);
    for (
      const title of [
        "Status",
        "Uptime",
        "Requests",
        "Audit chain",
        "Approvals pending",
        "Rate limiter",
        "Cache hit ratios",
      ]
    ) {
      assert.match(page.text, new RegExp(`<h2>${title}</h2>`));
    }
    assert.match(page.text, /<p class="value ok">Healthy<\/p>/);
    assert.match(page.text, /<dt>Self-test<\/dt><dd[^>]*>passed<\/dd>/);
    assert.match(page.text, /key store \(sqlite\)<\/dt><dd[^>]*>ok, /);
    assert.match(page.text, /Version development/);
    assert.match(page.text, /<svg class="chart" viewBox="0 0 720 180" role="img"/);
    assert.match(page.text, /<dt>Dashboard sessions<\/dt><dd>1<\/dd>/);
    for (const cache of ["Key cache", "Record cache", "Key list cache", "Token cache"]) {
      assert.match(page.text, new RegExp(`<dt>${cache}</dt>`));
    }
    assert.match(page.text, /hx-get="\/ui\/overview\/stats" hx-trigger="every 5s"/);
    const fragment = await ui.get("/ui/overview/stats", { htmx: "overview-stats" });
    assert.ok(fragment.text.startsWith('<section id="overview-stats"'));
    assert.match(fragment.text, /<dt>Total answered<\/dt><dd>\d+<\/dd>/);
    assert.match(fragment.text, /Not verified since start/);
    const metrics = await (await t.app.request("/metrics")).text();
    assert.match(metrics, /^ferrohsm_ui_sessions 1$/m);
    assert.match(metrics, /^ferrohsm_rate_limiter_keys\{scope="actor"\} \d+$/m);
  } finally {
    await t.close();
  }
});

Deno.test("static assets are served under content-hashed URLs with a long cache; others are 404", async () => {
  const t = await makeTestApp();
  try {
    for (const asset of Object.values(ASSETS)) {
      assert.match(asset.path, /^\/static\/[a-z0-9.-]+\.[0-9a-f]{16}\.[a-z.]+$/);
      const res = await t.app.request(asset.path);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("Content-Type"), asset.contentType);
      assert.equal(res.headers.get("Cache-Control"), "public, max-age=31536000, immutable");
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), asset.body);
    }
    assert.match(new TextDecoder().decode(ASSETS.htmx.body), /version:"2\.0\.11"/);
    const stale = await t.app.request("/static/ui.0000000000000000.css");
    assert.equal(stale.status, 404);
    const login = await (await t.app.request("/ui/login")).text();
    for (const asset of [ASSETS.css, ASSETS.htmx, ASSETS.script]) {
      assert.ok(login.includes(asset.path));
    }
    assert.ok(
      !/https?:\/\/(?!localhost)/.test(login.replace(/http:\/\/www\.w3\.org/g, "")),
      "no CDN",
    );
  } finally {
    await t.close();
  }
});

Deno.test("unknown dashboard pages answer an HTML 404 with the navigation", async () => {
  const t = await makeTestApp();
  try {
    const ui = await signIn(t, "alice", ["Administrator"]);
    const res = await ui.get("/ui/nothing/here");
    assert.equal(res.status, 404);
    assert.match(res.headers.get("Content-Type") ?? "", /^text\/html/);
    assert.ok(buttons(res.text).includes("Sign out"));
    assert.equal(new URL(ORIGIN).host, "localhost");
  } finally {
    await t.close();
  }
});

Deno.test("every page and fragment answers each dashboard role as its grants say", async () => {
  const t = await makeTestApp();
  try {
    const admin = await signIn(t, "alice", ["Administrator"]);
    const ec = await t.services.keys.create({ id: "alice", roles: ["Administrator"] }, {
      name: "ec",
      algorithm: "EC-P256",
    });
    await admin.post(`/ui/keys/${ec.key.id}/destroy`);
    const id = ec.key.id;
    const reads: [string, string | undefined][] = [
      ["/ui", undefined],
      ["/ui/overview/stats", "overview-stats"],
      ["/ui/keys", undefined],
      ["/ui/keys?state=active", "key-table"],
      [`/ui/keys/${id}`, undefined],
      [`/ui/keys/${id}/actions`, "key-actions"],
      [`/ui/keys/${id}/public.pem`, undefined],
      ["/ui/approvals", undefined],
      ["/ui/audit", undefined],
      ["/ui/audit?actor=alice", "audit-table"],
      ["/ui/audit/rows?before=3", "audit-more"],
      ["/ui/audit/verify", "verify-result"],
    ];
    const expected: Record<string, (path: string) => number> = {
      Administrator: () => 200,
      Operator: (path) => (path.startsWith("/ui/audit") ? 403 : 200),
      Auditor: () => 200,
    };
    for (const [role, status] of Object.entries(expected)) {
      const ui = await signIn(t, `${role.toLowerCase()}-reader`, [role]);
      for (const [path, target] of reads) {
        const res = await ui.get(path, target === undefined ? {} : { htmx: target });
        assert.equal(res.status, status(path), `${role} GET ${path}`);
        if (target !== undefined && res.status === 200) {
          assert.ok(!res.text.includes("<html"), `${role} GET ${path} is a fragment`);
        }
      }
    }
  } finally {
    await t.close();
  }
});
