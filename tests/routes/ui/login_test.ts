/**
 * Signing in and out of the dashboard, in process: redirects without a session, the
 * cookie's flags, refusals without a cookie (bad token, Service token, another origin),
 * sign-out, the audit entries of both, and the separation of cookie and bearer token.
 */

import assert from "node:assert/strict";
import { UI_CONTENT_SECURITY_POLICY } from "../../../src/http/ui_headers.ts";
import { auditActions, makeTestApp, ORIGIN, send, sessionCookieOf, signIn } from "./_ui.ts";

Deno.test("without a session /ui redirects to the sign-in page, which has Token and Sign in", async () => {
  const t = await makeTestApp();
  try {
    const home = await send(t, "GET", "/ui");
    assert.equal(home.status, 303);
    assert.equal(home.headers.get("Location"), "/ui/login");
    const keys = await send(t, "GET", "/ui/keys?state=active");
    assert.equal(keys.headers.get("Location"), "/ui/login");
    const login = await send(t, "GET", "/ui/login");
    assert.equal(login.status, 200);
    assert.match(login.text, /<label for="token">Token<\/label>/);
    assert.match(login.text, /<textarea id="token" name="token"/);
    assert.match(login.text, /<button type="submit">Sign in<\/button>/);
    assert.equal(login.headers.get("Set-Cookie"), null);
    const htmx = await send(t, "GET", "/ui/overview/stats", { options: { htmx: true } });
    assert.equal(htmx.headers.get("HX-Redirect"), "/ui/login");
  } finally {
    await t.close();
  }
});

Deno.test("a valid token signs in with a __Host- cookie that is HttpOnly, Secure, SameSite=Strict, Path=/", async () => {
  const t = await makeTestApp(["--ui-session-ttl", "600"]);
  try {
    const token = await t.inst.token("alice", ["Administrator"]);
    const res = await send(t, "POST", "/ui/login", { body: new URLSearchParams({ token }) });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), "/ui");
    const set = res.headers.get("Set-Cookie") ?? "";
    assert.match(set, /^__Host-ferrohsm_session=[A-Za-z0-9_-]{43};/);
    const attributes = set.split(";").slice(1).map((a) => a.trim());
    for (const flag of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=600"]) {
      assert.ok(attributes.includes(flag), `${flag} in ${set}`);
    }
    assert.ok(!/domain=/i.test(set), "a __Host- cookie has no Domain");
    const cookie = sessionCookieOf(res.headers) as string;
    const home = await send(t, "GET", "/ui", { cookie });
    assert.equal(home.status, 200);
    assert.match(home.text, /Signed in as <strong>alice<\/strong> \(Administrator\)/);
    assert.match(home.text, /<a href="\/ui"[^>]*>Overview<\/a>/);
    assert.match(home.text, /<a href="\/ui\/keys"[^>]*>Keys<\/a>/);
    assert.match(home.text, /<a href="\/ui\/approvals"[^>]*>Approvals<\/a>/);
    assert.match(home.text, /<a href="\/ui\/audit"[^>]*>Audit<\/a>/);
    assert.match(home.text, /<button type="submit" class="secondary">Sign out<\/button>/);
    const again = await send(t, "GET", "/ui/login", { cookie });
    assert.equal(again.headers.get("Location"), "/ui", "a signed-in visitor skips the form");
  } finally {
    await t.close();
  }
});

Deno.test("bad tokens, Service tokens and cross-site posts get the form again and no cookie", async () => {
  const t = await makeTestApp();
  try {
    const attempts: [string, Record<string, string>][] = [
      ["not-a-jwt", {}],
      ["", {}],
      [await t.inst.token("svc", ["Service"]), {}],
      [(await t.inst.token("alice", ["Administrator"])).slice(0, -2) + "AA", {}],
    ];
    for (const [token] of attempts) {
      const res = await send(t, "POST", "/ui/login", { body: new URLSearchParams({ token }) });
      assert.equal(res.status, 401, token.slice(0, 20));
      assert.equal(res.headers.get("Set-Cookie"), null);
      assert.match(res.text, /role="alert"/);
      assert.match(res.text, /Invalid or expired credentials/);
      assert.match(res.text, /<label for="token">Token<\/label>/);
    }
    const admin = await t.inst.token("alice", ["Administrator"]);
    for (const origin of ["https://evil.example", "null"]) {
      const res = await send(t, "POST", "/ui/login", {
        body: new URLSearchParams({ token: admin }),
        options: { headers: { Origin: origin } },
      });
      assert.equal(res.status, 403, origin);
      assert.equal(res.headers.get("Set-Cookie"), null);
    }
    const crossSite = await send(t, "POST", "/ui/login", {
      body: new URLSearchParams({ token: admin }),
      options: { headers: { "Sec-Fetch-Site": "cross-site" } },
    });
    assert.equal(crossSite.status, 403);
    assert.equal((await auditActions(t)).filter((e) => e.action === "ui.sign_in").length, 0);
  } finally {
    await t.close();
  }
});

Deno.test("a token holding Service and Auditor signs in as an Auditor only", async () => {
  const t = await makeTestApp();
  try {
    const ui = await signIn(t, "mixed", ["Service", "Auditor"]);
    const home = await ui.get("/ui");
    assert.match(home.text, /Signed in as <strong>mixed<\/strong> \(Auditor\)/);
  } finally {
    await t.close();
  }
});

Deno.test("sign out ends the session, clears the cookie and is audited with sign-in", async () => {
  const t = await makeTestApp();
  try {
    const ui = await signIn(t, "alice", ["Administrator"]);
    const out = await ui.post("/ui/logout");
    assert.equal(out.status, 303);
    assert.equal(out.headers.get("Location"), "/ui/login?reason=signed_out");
    assert.match(out.headers.get("Set-Cookie") ?? "", /__Host-ferrohsm_session=;.*Max-Age=0/);
    const after = await ui.get("/ui");
    assert.equal(after.status, 303, "the old cookie no longer signs in");
    assert.equal(after.headers.get("Location"), "/ui/login?reason=expired");
    const page = await send(t, "GET", "/ui/login?reason=signed_out");
    assert.match(page.text, /You are signed out\./);
    const actions = (await auditActions(t)).filter((e) => e.action.startsWith("ui."));
    assert.deepEqual(actions, [
      { actor: "alice", action: "ui.sign_in", result: "ok" },
      { actor: "alice", action: "ui.sign_out", result: "ok" },
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("the session cookie never authenticates the API and a bearer token never the dashboard", async () => {
  const t = await makeTestApp();
  try {
    const ui = await signIn(t, "alice", ["Administrator"]);
    const api = await t.app.request("/api/v1/keys", { headers: { Cookie: ui.cookie } });
    assert.equal(api.status, 401);
    assert.equal((await api.json()).error.code, "unauthenticated");
    const write = await t.app.request("/api/v1/keys", {
      method: "POST",
      headers: { Cookie: ui.cookie, Origin: ORIGIN, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "x", algorithm: "AES-256-GCM" }),
    });
    assert.equal(write.status, 401);
    const token = await t.inst.token("alice", ["Administrator"]);
    const page = await t.app.request("/ui/keys", { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get("Location"), "/ui/login");
  } finally {
    await t.close();
  }
});

Deno.test("every dashboard answer carries the dashboard CSP without unsafe-inline or unsafe-eval", async () => {
  const t = await makeTestApp();
  try {
    const ui = await signIn(t, "alice", ["Administrator"]);
    assert.equal(
      UI_CONTENT_SECURITY_POLICY,
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    const answers = [
      await send(t, "GET", "/ui/login"),
      await send(t, "GET", "/ui"),
      await ui.get("/ui"),
      await ui.get("/ui/keys", { htmx: "key-table" }),
      await ui.get("/ui/no-such-page"),
      await ui.post("/ui/keys", {}, { csrf: "none" }),
    ];
    for (const res of answers) {
      const csp = res.headers.get("Content-Security-Policy") ?? "";
      assert.equal(csp, UI_CONTENT_SECURITY_POLICY);
      const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? "";
      assert.ok(!scriptSrc.includes("unsafe-inline") && !scriptSrc.includes("unsafe-eval"));
      assert.equal(res.headers.get("Cache-Control"), "no-store");
      assert.equal(res.headers.get("X-Frame-Options"), "DENY");
      assert.equal(res.headers.get("Referrer-Policy"), "same-origin");
      assert.ok(
        !/<script>|<style|style="|\son[a-z]+=|hx-on/i.test(res.text),
        "no inline script or style",
      );
    }
  } finally {
    await t.close();
  }
});
