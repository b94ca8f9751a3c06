import assert from "node:assert/strict";
import { Hono } from "hono";
import { HsmError } from "../../src/domain/errors.ts";
import { type AppRouters, createApp } from "../../src/http/app.ts";
import type { AppEnv } from "../../src/http/context.ts";
import { addressKey } from "../../src/http/limits_middleware.ts";
import type { Authenticator } from "../../src/http/auth_middleware.ts";
import type { Role } from "../../src/access/rbac.ts";
import { ConcurrencyLimiter } from "../../src/http/load_shed.ts";
import { RateLimiter } from "../../src/http/rate_limiter.ts";

/** Tokens are `<sub>.<role>`; anything else is refused. */
const authenticator: Authenticator = {
  verify(token: string) {
    const [sub, role] = token.split(".");
    if (sub === undefined || role === undefined) {
      return Promise.reject(new HsmError("unauthenticated", "Invalid or expired credentials"));
    }
    return Promise.resolve({ sub, roles: [role as Role] });
  },
};

function makeApp(
  limits: NonNullable<AppRouters["limits"]>,
  handler: () => Promise<void> = () => Promise.resolve(),
): Hono<AppEnv> {
  const api = new Hono<AppEnv>();
  api.get("/", async (c) => {
    await handler();
    return c.json({ ok: true, actor: c.get("actor").id });
  });
  const open = new Hono<AppEnv>();
  open.get("/healthz", (c) => c.json({ status: "ok" }));
  return createApp({ authenticator, api: [["/things", api]], open: [open], limits });
}

function get(app: Hono<AppEnv>, token?: string, headers: Record<string, string> = {}) {
  return app.request("/api/v1/things", {
    headers: { ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }), ...headers },
  });
}

/** Lets pending promise callbacks and timers run until `done` holds (bounded). */
async function settle(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(done(), "condition not reached");
}

Deno.test("an actor over its rate gets 429 with Retry-After and the contract body", async () => {
  const app = makeApp({ actor: new RateLimiter({ defaultRps: 1 }) });
  assert.equal((await get(app, "alice.Operator")).status, 200);
  assert.equal((await get(app, "alice.Operator")).status, 200);
  const res = await get(app, "alice.Operator");
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("Retry-After"), "1");
  assert.equal(res.headers.get("Content-Type"), "application/json");
  assert.ok(res.headers.get("X-Request-Id"));
  assert.equal(res.headers.get("X-Content-Type-Options"), "nosniff");
  assert.deepEqual(await res.json(), {
    error: { code: "rate_limited", message: "Too many requests, retry later" },
  });
  const other = await get(app, "bob.Operator");
  assert.equal(other.status, 200);
  assert.deepEqual(await other.json(), { ok: true, actor: "bob" });
});

Deno.test("per-role limits apply after authentication", async () => {
  const app = makeApp({
    actor: new RateLimiter({ defaultRps: 1, roleLimits: { Service: { rps: 100, burst: 5 } } }),
  });
  for (let i = 0; i < 5; i++) assert.equal((await get(app, "svc.Service")).status, 200);
  assert.equal((await get(app, "svc.Service")).status, 429);
});

Deno.test("the per-address limit refuses a flood before authentication", async () => {
  const app = makeApp({ ip: new RateLimiter({ defaultRps: 1 }) });
  assert.equal((await get(app)).status, 401);
  assert.equal((await get(app, "bad")).status, 401);
  const res = await get(app, "alice.Operator");
  assert.equal(res.status, 429);
  assert.ok(Number(res.headers.get("Retry-After")) >= 1);
  assert.equal((await res.json()).error.code, "rate_limited");
  // Open routes share the per-address limit.
  assert.equal((await app.request("/healthz")).status, 429);
});

Deno.test("overload beyond the concurrency and queue bounds answers 503 with Retry-After", async () => {
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const shed = new ConcurrencyLimiter({ maxConcurrent: 2, maxQueue: 1 });
  const app = makeApp({ shed }, () => gate);
  const admitted = [1, 2, 3].map(() => get(app, "alice.Operator"));
  await settle(() => shed.stats().running === 2 && shed.stats().queued === 1);
  const refused = await get(app, "alice.Operator");
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get("Retry-After"), "1");
  assert.deepEqual(await refused.json(), {
    error: { code: "unavailable", message: "Server overloaded, retry later" },
  });
  // Open routes share the concurrency bound: a saturated server sheds them too.
  assert.equal((await app.request("/healthz")).status, 503);
  open();
  for (const res of await Promise.all(admitted)) assert.equal(res.status, 200);
  assert.deepEqual(shed.stats(), {
    running: 0,
    queued: 0,
    maxConcurrent: 2,
    maxQueue: 1,
    shed: 2,
  });
});

Deno.test("a refused request releases its concurrency slot", async () => {
  const shed = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueue: 0 });
  const app = makeApp({ shed, actor: new RateLimiter({ defaultRps: 1, defaultBurst: 1 }) });
  assert.equal((await get(app, "alice.Operator")).status, 200);
  assert.equal((await get(app, "alice.Operator")).status, 429);
  assert.equal((await get(app)).status, 401);
  assert.equal((await get(app, "bob.Operator")).status, 200);
  assert.equal(shed.stats().running, 0);
});

Deno.test("oversized request headers answer 400 invalid_request", async () => {
  const app = makeApp({});
  const refused = async (headers: Record<string, string>, path = "/api/v1/things") => {
    const res = await app.request(path, {
      headers: { Authorization: "Bearer alice:Operator", ...headers },
    });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), {
      error: { code: "invalid_request", message: "Request headers too large" },
    });
  };
  await refused({ "X-Big": "a".repeat(8 * 1024) });
  await refused({ "X-A": "a".repeat(6000), "X-B": "b".repeat(6000), "X-C": "c".repeat(6000) });
  await refused({ "X-Big": "a".repeat(9000) }, "/healthz");
  const ok = await get(app, "alice.Operator", { "X-Fine": "a".repeat(7000) });
  assert.equal(ok.status, 200);
});

Deno.test("header limits are configurable", async () => {
  const app = makeApp({ headers: { maxTotalBytes: 200, maxHeaderBytes: 100 } });
  assert.equal((await get(app, "alice.Operator", { "X-A": "a".repeat(100) })).status, 400);
  assert.equal((await get(app, "alice.Operator", { "X-A": "a".repeat(50) })).status, 200);
  const total = { "X-A": "a".repeat(80), "X-B": "b".repeat(80) };
  assert.equal((await get(app, "alice.Operator", total)).status, 400);
});

Deno.test("client addresses are keyed by IPv4 address or IPv6 /64 prefix", () => {
  assert.equal(addressKey("192.0.2.7"), "192.0.2.7");
  assert.equal(addressKey("::ffff:192.0.2.7"), "192.0.2.7");
  assert.equal(addressKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  assert.equal(addressKey("2001:db8:1:2::9"), "2001:db8:1:2::/64");
  assert.equal(addressKey("2001:0db8::1"), "2001:db8:0:0::/64");
  assert.equal(addressKey("::1"), "0:0:0:0::/64");
  assert.equal(addressKey("fe80::1%eth0"), "fe80:0:0:0::/64");
  assert.equal(addressKey("unknown"), "unknown");
  assert.equal(addressKey("1:2:3"), "1:2:3");
  assert.equal(addressKey("1::2::3"), "1::2::3");
});

Deno.test("the per-address limit keys on the listener's clientAddress binding", async () => {
  const app = makeApp({ ip: new RateLimiter({ defaultRps: 1 }) });
  const from = (clientAddress: string) =>
    app.request("/api/v1/things", { headers: { Authorization: "Bearer a.Operator" } }, {
      clientAddress,
    });
  assert.equal((await from("192.0.2.1")).status, 200);
  assert.equal((await from("192.0.2.1")).status, 200);
  assert.equal((await from("192.0.2.1")).status, 429);
  assert.equal((await from("::ffff:192.0.2.1")).status, 429, "IPv4-mapped is the same peer");
  assert.equal((await from("192.0.2.2")).status, 200, "another address has its own bucket");
});
