/**
 * In-process helpers for the dashboard tests: the real app (`makeTestApp`), signing in
 * through the login form, and a small browser-like client that keeps the session cookie,
 * sends same-origin `Origin` headers and the CSRF token, and can act as htmx (the
 * `HX-Request` / `HX-Target` headers). Pages are returned as text for assertions.
 */

import assert from "node:assert/strict";
import { makeTestApp, type TestApp } from "../_app.ts";

/** The origin `app.request` gives relative URLs. */
export const ORIGIN = "http://localhost";

/** One answer. */
export interface Page {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** Options of one request. */
export interface RequestOptions {
  /** Act as htmx, targeting this element id (or just `HX-Request` with `true`). */
  readonly htmx?: string | true;
  /** Extra or replacing headers (e.g. a foreign Origin). */
  readonly headers?: Record<string, string>;
  /** Connection bindings (mutual TLS thumbprint). */
  readonly env?: Record<string, string>;
  /** Send the CSRF token in the form (default) or the header, or not at all. */
  readonly csrf?: "form" | "header" | "none";
}

/** A signed-in browser. */
export interface UiClient {
  readonly cookie: string;
  readonly csrf: string;
  get(path: string, options?: RequestOptions): Promise<Page>;
  post(
    path: string,
    form?: Record<string, string | string[]>,
    options?: RequestOptions,
  ): Promise<Page>;
}

/** Sends one request to the app. */
export async function send(
  t: TestApp,
  method: string,
  path: string,
  init: { cookie?: string; body?: URLSearchParams; options?: RequestOptions; csrf?: string } = {},
): Promise<Page> {
  const o = init.options ?? {};
  const headers: Record<string, string> = {};
  if (init.cookie !== undefined) headers.Cookie = init.cookie;
  if (method !== "GET") headers.Origin = ORIGIN;
  if (init.body !== undefined) headers["Content-Type"] = "application/x-www-form-urlencoded";
  if (o.htmx !== undefined) {
    headers["HX-Request"] = "true";
    if (o.htmx !== true) headers["HX-Target"] = o.htmx;
  }
  if (o.csrf === "header" && init.csrf !== undefined) headers["X-CSRF-Token"] = init.csrf;
  Object.assign(headers, o.headers ?? {});
  const res = await t.app.request(
    path,
    { method, headers, ...(init.body === undefined ? {} : { body: init.body }) },
    o.env ?? {},
  );
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Signs in through the login form with a fresh token for `sub` and `roles`. */
export async function signIn(
  t: TestApp,
  sub: string,
  roles: readonly string[],
  env: Record<string, string> = {},
): Promise<UiClient> {
  const token = await t.inst.token(sub, roles);
  const res = await send(t, "POST", "/ui/login", {
    body: new URLSearchParams({ token }),
    options: { env },
  });
  assert.equal(res.status, 303, `sign-in of ${sub} failed: ${res.text.slice(0, 300)}`);
  const cookie = sessionCookieOf(res.headers);
  assert.ok(cookie !== undefined, "sign-in sets the session cookie");
  const home = await send(t, "GET", "/ui", { cookie, options: { env } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(home.text)?.[1];
  assert.ok(csrf !== undefined, "pages carry the CSRF token");
  return clientFor(t, cookie, csrf, env);
}

/** A client for an existing cookie and token. */
export function clientFor(
  t: TestApp,
  cookie: string,
  csrf: string,
  env: Record<string, string> = {},
): UiClient {
  return {
    cookie,
    csrf,
    get: (path, options = {}) =>
      send(t, "GET", path, { cookie, options: { ...options, env: options.env ?? env } }),
    post: (path, form = {}, options = {}) => {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) {
        for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
      }
      if ((options.csrf ?? "form") === "form") body.set("_csrf", csrf);
      return send(t, "POST", path, {
        cookie,
        body,
        csrf,
        options: { ...options, env: options.env ?? env },
      });
    },
  };
}

/** `__Host-ferrohsm_session=<value>` from a Set-Cookie header, if set with a value. */
export function sessionCookieOf(headers: Headers): string | undefined {
  const set = headers.get("Set-Cookie") ?? "";
  const m = /(__Host-ferrohsm_session=[A-Za-z0-9_-]+)/.exec(set);
  return m?.[1];
}

/** Creates a key through the dashboard; returns its id. */
export async function createKey(
  ui: UiClient,
  fields: Record<string, string | string[]>,
): Promise<string> {
  const res = await ui.post("/ui/keys", fields);
  assert.equal(res.status, 303, res.text.slice(0, 500));
  const id = /^\/ui\/keys\/([A-Za-z0-9_-]+)\?notice=created$/.exec(
    res.headers.get("Location") ?? "",
  )?.[1];
  assert.ok(id !== undefined, `unexpected Location ${res.headers.get("Location")}`);
  return id;
}

/** Audit entries (action names) the log holds, oldest first. */
export async function auditActions(
  t: TestApp,
): Promise<{ actor: string; action: string; result: string }[]> {
  const entries = await t.services.stores.audit.list(0, 10_000);
  return entries.map((e) => ({ actor: e.actor, action: e.action, result: e.result }));
}

/** Buttons (by their text) in an HTML page. */
export function buttons(html: string): string[] {
  return [...html.matchAll(/<button\b[^>]*>([^<]*)<\/button>/g)].map((m) =>
    (m[1] as string).trim()
  );
}

export { makeTestApp, type TestApp };
