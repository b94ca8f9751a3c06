/**
 * FerroHSM's metric set in isolation: recording methods, scrape-time sources, and the
 * HTTP middleware's route labels (pattern, never the raw path).
 */

import assert from "node:assert/strict";
import { Hono } from "hono";
import { JwtFailure } from "../../src/auth/jwt.ts";
import { HsmError } from "../../src/domain/errors.ts";
import type { AppEnv } from "../../src/http/context.ts";
import { httpMetrics, observeAuthFailures } from "../../src/http/metrics_middleware.ts";
import { FerroHsmMetrics } from "../../src/metrics/ferrohsm_metrics.ts";

const fixedProcess = {
  uptimeSeconds: () => 12.5,
  startTimeSeconds: () => 1700000000,
  residentMemoryBytes: () => 4096,
};

function sampleLines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
}

Deno.test("rateLimited(scope) adds to what the limiters report for the same scope", async () => {
  const m = new FerroHsmMetrics({ process: fixedProcess });
  m.setSources({ rateLimited: { ip: () => 2, actor: () => 0 } });
  m.rateLimited("ip");
  m.rateLimited("global");
  const lines = sampleLines(await m.render());
  assert.ok(lines.includes('ferrohsm_rate_limited_total{scope="ip"} 3'));
  assert.ok(lines.includes('ferrohsm_rate_limited_total{scope="actor"} 0'));
  assert.ok(lines.includes('ferrohsm_rate_limited_total{scope="global"} 1'));
});

Deno.test("scrape-time sources are read on every render", async () => {
  let hits = 1;
  const m = new FerroHsmMetrics({ process: fixedProcess });
  m.setSources({
    caches: { key: () => ({ hits, misses: 2, evictions: 0, size: 1, capacity: 8 }) },
    audit: () => ({ headSeq: 7, failures: 0, anchorFailures: 0, pending: 0 }),
    approvalsByState: () => Promise.resolve({ pending: 2 }),
    selfTestPassed: () => true,
  });
  hits = 5;
  const lines = sampleLines(await m.render());
  for (
    const expected of [
      'ferrohsm_cache_hits_total{cache="key"} 5',
      'ferrohsm_cache_capacity_entries{cache="key"} 8',
      "ferrohsm_audit_head_seq 7",
      'ferrohsm_approvals{state="pending"} 2',
      'ferrohsm_approvals{state="denied"} 0',
      "ferrohsm_self_test_passed 1",
      "ferrohsm_uptime_seconds 12.5",
      "process_resident_memory_bytes 4096",
    ]
  ) {
    assert.ok(lines.includes(expected), expected);
  }
});

Deno.test("a failing approvals source drops its samples and counts a collect error", async () => {
  const m = new FerroHsmMetrics({ process: fixedProcess });
  m.setSources({ approvalsByState: () => Promise.reject(new Error("store down")) });
  const lines = sampleLines(await m.render());
  assert.ok(!lines.some((l) => l.startsWith("ferrohsm_approvals{")));
  assert.ok(lines.includes('ferrohsm_metrics_collect_errors_total{metric="ferrohsm_approvals"} 1'));
});

Deno.test("the HTTP middleware labels by route pattern, also when auth answers first", async () => {
  const m = new FerroHsmMetrics({ process: fixedProcess });
  const app = new Hono<AppEnv>();
  app.use("*", httpMetrics(m, () => 0));
  app.use("/api/*", async (c, next) => {
    if (c.req.header("Authorization") === undefined) return c.text("no", 401);
    await next();
  });
  const keys = new Hono<AppEnv>();
  keys.post("/:id/sign", (c) => c.text("signed"));
  keys.get("/:id", () => {
    throw new HsmError("not_found", "No such key");
  });
  app.route("/api/v1/keys", keys);
  app.onError((_err, c) => c.text("error", 404));
  const auth = { headers: { Authorization: "x" } };
  await app.request("/api/v1/keys/k-123/sign", { method: "POST", ...auth });
  await app.request("/api/v1/keys/k-456/sign", { method: "POST" });
  await app.request("/api/v1/keys/k-789", auth);
  await app.request("/api/v1/keys/k-789/unknown", auth);
  await app.request("/api/v1/keys/k-1/sign", { method: "BREW", ...auth });
  const text = await m.render();
  const lines = sampleLines(text);
  for (
    const expected of [
      'ferrohsm_http_requests_total{route="/api/v1/keys/:id/sign",method="POST",status="200"} 1',
      'ferrohsm_http_requests_total{route="/api/v1/keys/:id/sign",method="POST",status="401"} 1',
      'ferrohsm_http_requests_total{route="/api/v1/keys/:id",method="GET",status="404"} 1',
      'ferrohsm_http_requests_total{route="unmatched",method="GET",status="404"} 1',
      'ferrohsm_http_requests_total{route="unmatched",method="other",status="404"} 1',
    ]
  ) {
    assert.ok(lines.includes(expected), `${expected}\n${lines.join("\n")}`);
  }
  assert.ok(!text.includes("k-"));
});

Deno.test("the authenticator wrapper reports the failure reason and rethrows", async () => {
  const reasons: string[] = [];
  const wrapped = observeAuthFailures({
    verify: (token) =>
      token === "ok"
        ? Promise.resolve({ sub: "a", roles: [] })
        : Promise.reject(new JwtFailure("expired")),
  }, (reason) => reasons.push(reason));
  assert.equal((await wrapped.verify("ok")).sub, "a");
  await assert.rejects(wrapped.verify("old"), JwtFailure);
  assert.deepEqual(reasons, ["expired"]);
});
