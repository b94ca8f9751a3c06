import assert from "node:assert/strict";
import { Hono } from "hono";
import { csrfProtection, isSameOrigin, tokenMatches } from "../../src/http/csrf.ts";
import type { UiEnv } from "../../src/http/ui_session_middleware.ts";
import type { UiSession } from "../../src/http/ui_sessions.ts";

const session: UiSession = {
  actor: { id: "alice", roles: ["Administrator"] },
  csrfToken: "t0k3n-of-the-session_000000000000000000000",
  via: "token",
  createdAt: 0,
  expiresAt: 1,
  ref: "r",
};

function app(): Hono<UiEnv> {
  const a = new Hono<UiEnv>();
  a.use("*", async (c, next) => {
    c.set("session", session);
    await next();
  });
  a.use("*", csrfProtection((c, reason) => c.text(reason, 403)));
  a.all("/x", (c) => c.text("done"));
  return a;
}

async function post(headers: Record<string, string>, body?: string) {
  const res = await app().request("http://hsm.example:8443/x", {
    method: "POST",
    headers,
    body: body ?? null,
  });
  return { status: res.status, text: await res.text() };
}

const FORM = { "Content-Type": "application/x-www-form-urlencoded" };
const SAME = { Origin: "http://hsm.example:8443" };

Deno.test("a state change passes with our Origin and the session token in header or form", async () => {
  assert.equal((await post({ ...SAME, "X-CSRF-Token": session.csrfToken })).status, 200);
  assert.equal((await post({ ...SAME, ...FORM }, `_csrf=${session.csrfToken}&a=1`)).status, 200);
  const get = await app().request("http://hsm.example:8443/x");
  assert.equal(get.status, 200, "reads need no token");
});

Deno.test("a state change without the token, with a wrong one, or from elsewhere is refused", async () => {
  const cases: [Record<string, string>, string | undefined, string][] = [
    [SAME, undefined, "token"],
    [{ ...SAME, "X-CSRF-Token": "wrong" }, undefined, "token"],
    [{ ...SAME, "X-CSRF-Token": session.csrfToken.slice(0, -1) + "1" }, undefined, "token"],
    [{ ...SAME, ...FORM }, "_csrf=nope", "token"],
    [{ ...SAME, "Content-Type": "text/plain" }, `_csrf=${session.csrfToken}`, "token"],
    [{ Origin: "https://evil.example", "X-CSRF-Token": session.csrfToken }, undefined, "origin"],
    [{ Origin: "http://hsm.example:8444", "X-CSRF-Token": session.csrfToken }, undefined, "origin"],
    [{ Origin: "null", "X-CSRF-Token": session.csrfToken }, undefined, "origin"],
    [{ "X-CSRF-Token": session.csrfToken }, undefined, "origin"],
    [
      { ...SAME, "Sec-Fetch-Site": "same-site", "X-CSRF-Token": session.csrfToken },
      undefined,
      "origin",
    ],
  ];
  for (const [headers, body, reason] of cases) {
    const res = await post(headers, body);
    assert.equal(res.status, 403, JSON.stringify(headers));
    assert.equal(res.text, reason, JSON.stringify(headers));
  }
});

Deno.test("the origin and token checks compare exactly", () => {
  const headers: Record<string, string> = { Origin: "http://a:1" };
  const c = { req: { header: (n: string) => headers[n], url: "http://a:1/p" } };
  assert.equal(isSameOrigin(c as never), true);
  headers.Origin = "http://a:1/";
  assert.equal(isSameOrigin(c as never), false);
  assert.equal(tokenMatches(undefined, "x"), false);
  assert.equal(tokenMatches("x", "x"), true);
  assert.equal(tokenMatches("xx", "x"), false);
});
