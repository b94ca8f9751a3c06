import assert from "node:assert/strict";
import { overviewFigures, ScrapeWindow } from "../../src/tui/overview.ts";
import { MetricsSnapshot } from "../../src/tui/prometheus_text.ts";
import { HEALTH, METRICS } from "./_fixtures.ts";

Deno.test("the overview figures match the dashboard's from /healthz and /metrics", () => {
  const f = overviewFigures(HEALTH, MetricsSnapshot.parse(METRICS), {});
  assert.equal(f.status, "ok");
  assert.equal(f.uptimeSeconds, 3725);
  assert.equal(f.selfTestPassed, true);
  assert.deepEqual(f.stores, [{ name: "key", kind: "sqlite", ok: true, latencyMs: 0.4 }]);
  assert.equal(f.auditHeadSeq, 3);
  assert.deepEqual(
    [f.requests.total, f.requests.clientErrors, f.requests.serverErrors],
    [100, 7, 3],
  );
  assert.deepEqual(f.caches, [{ name: "Key cache", hits: 30, misses: 10, ratio: 0.75 }]);
  assert.equal(f.approvalsPending, 1);
  assert.equal(f.rateLimiter.actorsTracked, 2);
  assert.equal(f.rateLimiter.limitedActors, 4);
  assert.equal(f.residentMemoryBytes, 104857600);
});

Deno.test("rates come from the change between scrapes of the last minute", () => {
  const scrape = (ok: number, bad: number) =>
    MetricsSnapshot.parse(
      `ferrohsm_http_requests_total{status="200"} ${ok}\nferrohsm_http_requests_total{status="503"} ${bad}\n`,
    );
  const w = new ScrapeWindow(60_000);
  assert.deepEqual(w.add(scrape(10, 0), 0), {});
  assert.deepEqual(w.add(scrape(30, 0), 10_000), { perSecond: 2, errorRatio: 0 });
  assert.deepEqual(w.add(scrape(40, 10), 20_000), { perSecond: 2, errorRatio: 0.25 });
  const late = w.add(scrape(100, 10), 90_000);
  assert.equal(late.perSecond, 60 / 70, "scrapes older than a minute are dropped");
});
