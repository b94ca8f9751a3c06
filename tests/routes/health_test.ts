/**
 * The open operational routes: `/healthz` tells anonymous callers only whether the
 * server is healthy (the figures need a token of any role); every open route shares the
 * per-address rate limit and the concurrency bound; the store probes run at most once a
 * second; `/healthz` and `/readyz` turn 503 when the audit log cannot be written; TLS
 * listeners send HSTS.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { makeTestApp } from "./_app.ts";

const OPEN_ROUTES = ["/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"];

Deno.test("anonymous /healthz answers status and uptime only; a token of any role gets the report", async () => {
  const t = await makeTestApp(["--key-store", "memory"]);
  try {
    const anonymous = await t.call(undefined, "GET", "/healthz");
    assert.equal(anonymous.status, 200);
    assert.deepEqual(Object.keys(anonymous.body).sort(), ["status", "uptime_s"]);
    assert.equal(anonymous.body.status, "ok");
    const forged = await t.call("not.a.token", "GET", "/healthz");
    assert.deepEqual(Object.keys(forged.body).sort(), ["status", "uptime_s"]);
    for (const role of ["Administrator", "Operator", "Auditor", "Service"]) {
      const r = await t.call(await t.inst.token(`h-${role}`, [role]), "GET", "/healthz");
      assert.equal(r.status, 200, role);
      assert.equal(r.body.self_test, "passed", role);
      assert.equal(r.body.audit_writable, true, role);
      assert.equal(typeof r.body.audit_head_seq, "number", role);
      assert.ok(Array.isArray(r.body.keyset.kids), role);
      assert.equal(r.body.keyset.stale, false, role);
      assert.equal(typeof r.body.list_cache.maxBytes, "number", role);
    }
  } finally {
    await t.close();
  }
});

Deno.test("every open route is behind the per-address rate limit", async () => {
  // --rate-limit 1: the per-address bucket holds 20 requests and refills 10 a second.
  const t = await makeTestApp(["--key-store", "memory", "--rate-limit", "1"]);
  try {
    for (const path of OPEN_ROUTES) {
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        const res = await t.app.request(path, {}, {
          clientAddress: `192.0.2.${OPEN_ROUTES.indexOf(path)}`,
        });
        statuses.push(res.status);
        await res.body?.cancel();
      }
      assert.ok(statuses.includes(429), `${path}: ${statuses.join(",")}`);
      assert.ok(statuses.slice(0, 10).every((s) => s === 200), `${path}: ${statuses.join(",")}`);
    }
  } finally {
    await t.close();
  }
});

Deno.test("every open route is behind the concurrency bound", async () => {
  const t = await makeTestApp([
    "--key-store",
    "memory",
    "--max-concurrent",
    "1",
    "--max-queue",
    "0",
  ]);
  try {
    const release = await t.services.limits.shed.acquire();
    for (const path of OPEN_ROUTES) {
      const res = await t.app.request(path);
      assert.equal(res.status, 503, path);
      assert.equal(res.headers.get("Retry-After"), "1", path);
      assert.equal((await res.json()).error.code, "unavailable", path);
    }
    release();
    for (const path of OPEN_ROUTES) {
      const res = await t.app.request(path);
      assert.equal(res.status, 200, path);
      await res.body?.cancel();
    }
  } finally {
    await t.close();
  }
});

Deno.test("the store probes of /healthz and /readyz run at most once a second", async () => {
  const t = await makeTestApp(["--key-store", "memory"]);
  try {
    let probes = 0;
    const keys = t.services.stores.keys;
    const get = keys.get.bind(keys);
    keys.get = (id: string) => {
      if (id === "health-probe") probes++;
      return get(id);
    };
    const started = performance.now();
    for (let i = 0; i < 20; i++) {
      assert.equal((await t.app.request(i % 4 === 3 ? "/readyz" : "/healthz")).status, 200);
    }
    const elapsed = performance.now() - started;
    assert.ok(probes <= Math.ceil(elapsed / 1000) + 1, `${probes} probes in ${elapsed} ms`);
    assert.ok(probes < 20);
  } finally {
    await t.close();
  }
});

Deno.test("/healthz and /readyz answer 503 while the audit log cannot be written", async () => {
  const t = await makeTestApp(["--key-store", "memory", "--audit-store", "file"]);
  try {
    const admin = await t.inst.token("admin", ["Administrator"]);
    assert.equal((await t.call(undefined, "GET", "/readyz")).status, 200);
    const log = join(t.inst.dataDir, "audit", "audit.log");
    await Deno.rename(log, `${log}.moved`);
    await Deno.mkdir(log); // the log's path is now a folder: it cannot be opened for writing
    let health = await t.call(admin, "GET", "/healthz");
    for (let i = 0; i < 30 && health.status === 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      health = await t.call(admin, "GET", "/healthz");
    }
    assert.equal(health.status, 503);
    assert.equal(health.body.status, "degraded");
    assert.equal(health.body.audit_writable, false);
    const anonymous = await t.call(undefined, "GET", "/healthz");
    assert.deepEqual(anonymous.body.status, "degraded");
    const ready = await t.call(undefined, "GET", "/readyz");
    assert.equal(ready.status, 503);
    assert.equal(ready.body.status, "unavailable");

    await Deno.remove(log);
    await Deno.rename(`${log}.moved`, log);
    let back = await t.call(undefined, "GET", "/readyz");
    for (let i = 0; i < 30 && back.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      back = await t.call(undefined, "GET", "/readyz");
    }
    assert.equal(back.status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("responses carry HSTS on a TLS listener and never on plain HTTP", async () => {
  const plain = await makeTestApp(["--key-store", "memory"]);
  try {
    const res = await plain.app.request("/readyz");
    assert.equal(res.headers.get("Strict-Transport-Security"), null);
  } finally {
    await plain.close();
  }
  const tls = await makeTestApp([
    "--key-store",
    "memory",
    "--tls-cert",
    "/nonexistent/cert.pem",
    "--tls-key",
    "/nonexistent/key.pem",
  ]);
  try {
    for (const path of ["/readyz", "/api/v1/keys", "/no-such-route"]) {
      const res = await tls.app.request(path);
      assert.match(res.headers.get("Strict-Transport-Security") ?? "", /^max-age=\d{8,}/, path);
      await res.body?.cancel();
    }
  } finally {
    await tls.close();
  }
});
