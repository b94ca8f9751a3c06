/**
 * The body limit: declared and chunked bodies over the limit are refused with the
 * caller's answer, bodies within it reach the handler intact, and a chunked request to
 * the real server no longer makes Deno print its `request.signal` deprecation warning.
 */

import assert from "node:assert/strict";
import { Hono } from "hono";
import { bodyLimit } from "../../src/http/body_limit.ts";
import type { AppEnv } from "../../src/http/context.ts";
import { makeInstallation } from "../../testing/installation.ts";
import { startServerProcess } from "../../testing/server_process.ts";

function app(): Hono<AppEnv> {
  const a = new Hono<AppEnv>();
  a.use("*", bodyLimit(16, (c) => c.json({ error: "too large" }, 413)));
  a.post("/", async (c) => c.text(`got ${(await c.req.arrayBuffer()).byteLength}`));
  return a;
}

function chunked(...parts: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const p of parts) controller.enqueue(new TextEncoder().encode(p));
      controller.close();
    },
  });
}

Deno.test("a declared length over the limit is refused before the body is read", async () => {
  const res = await app().request("/", { method: "POST", body: "x".repeat(17) });
  assert.equal(res.status, 413);
  const ok = await app().request("/", { method: "POST", body: "x".repeat(16) });
  assert.equal(await ok.text(), "got 16");
});

Deno.test("a chunked body is refused once it passes the limit and passed on intact below it", async () => {
  const big = await app().request("/", {
    method: "POST",
    body: chunked("x".repeat(10), "y".repeat(10)),
    duplex: "half",
  } as RequestInit);
  assert.equal(big.status, 413);
  const small = await app().request("/", {
    method: "POST",
    body: chunked("abc", "defgh"),
    duplex: "half",
  } as RequestInit);
  assert.equal(await small.text(), "got 8");
});

Deno.test("a chunked request body does not make the server warn about request.signal", async () => {
  const inst = await makeInstallation();
  const server = await startServerProcess(inst.flags(["--listen", "127.0.0.1:0"]));
  try {
    const token = await inst.token("admin", ["Administrator"]);
    const body = JSON.stringify({ name: "chunked", algorithm: "AES-256-GCM" });
    const res = await fetch(`${server.url}/api/v1/keys`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: chunked(body.slice(0, 10), body.slice(10)),
      duplex: "half",
    } as RequestInit);
    assert.equal(res.status, 201, await res.text());
    const tooBig = await fetch(`${server.url}/api/v1/keys`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: chunked("x".repeat(600_000), "y".repeat(600_000)),
      duplex: "half",
    } as RequestInit);
    assert.equal(tooBig.status, 413);
    await tooBig.body?.cancel();
  } finally {
    assert.equal(await server.stop(), 0);
    await inst.cleanup();
  }
  assert.doesNotMatch(server.stderr(), /request\.signal/);
  assert.doesNotMatch(server.stderr(), /deprecat/i);
});
