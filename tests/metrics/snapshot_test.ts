import { strict as assert } from "node:assert";
import { FerroHsmMetrics } from "../../src/metrics/ferrohsm_metrics.ts";
import { MetricsSnapshot } from "../../src/metrics/snapshot.ts";

Deno.test("a snapshot reads back what the registry renders", async () => {
  const metrics = new FerroHsmMetrics({
    process: { uptimeSeconds: () => 42.5, startTimeSeconds: () => 1, residentMemoryBytes: () => 9 },
  });
  metrics.httpRequest("/api/v1/keys", "GET", 200, 0.01);
  metrics.httpRequest("/api/v1/keys", "GET", 200, 0.01);
  metrics.httpRequest("/api/v1/keys/:id", "GET", 404, 0.01);
  metrics.httpRequest('/odd"path\\x\n', "POST", 500, 0.01);
  metrics.setSources({
    caches: { key: () => ({ hits: 3, misses: 1 }) },
    approvalsByState: () => Promise.resolve({ pending: 2 }),
  });
  const snap = MetricsSnapshot.parse(await metrics.render());
  assert.equal(snap.value("ferrohsm_uptime_seconds"), 42.5);
  assert.equal(snap.sum("ferrohsm_http_requests_total"), 4);
  assert.equal(snap.sum("ferrohsm_http_requests_total", (l) => Number(l.status) >= 400), 2);
  assert.equal(snap.value("ferrohsm_http_requests_total", { route: '/odd"path\\x\n' }), 1);
  assert.equal(snap.value("ferrohsm_cache_hits_total", { cache: "key" }), 3);
  assert.equal(snap.value("ferrohsm_approvals", { state: "pending" }), 2);
  assert.equal(snap.value("ferrohsm_approvals", { state: "denied" }), 0);
  assert.equal(snap.value("ferrohsm_no_such_metric"), undefined);
  assert.equal(
    snap.value("ferrohsm_http_request_duration_seconds_bucket", {
      le: "+Inf",
      route: "/api/v1/keys",
    }),
    2,
  );
});

Deno.test("lines a snapshot cannot read are skipped", () => {
  const snap = MetricsSnapshot.parse(
    ["a 1", 'b{x="1" 2', 'c{x="1",} 3', "d nope", 'e{y="2"} +Inf', "# HELP a x"].join("\n"),
  );
  assert.equal(snap.value("a"), 1);
  assert.equal(snap.value("b"), undefined);
  assert.equal(snap.value("d"), undefined);
  assert.equal(snap.value("e", { y: "2" }), Infinity);
});
