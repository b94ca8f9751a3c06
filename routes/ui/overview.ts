/**
 * `GET /ui` (the Overview page) and `GET /ui/overview/stats` (its figures, polled every
 * 5 seconds). Figures come from the metrics registry's own rendering (the text a
 * `/metrics` scrape gets), the `/healthz` store probes, the audit log head and the
 * per-second request ring. Like `/healthz` and `/metrics`, reading these operational
 * figures touches no key and is not audited.
 */

import { Hono } from "hono";
import type { UiEnv } from "../../src/http/ui_session_middleware.ts";
import { MetricsSnapshot } from "../../src/metrics/snapshot.ts";
import {
  type CacheModel,
  type OverviewModel,
  OverviewPage,
  OverviewStats,
} from "../../views/overview.tsx";
import { html, type UiDeps, verifyText, viewerOf } from "./_shared.ts";

/** Seconds per point of the chart (10 minutes in 120 points). */
const CHART_STEP_S = 5;

/** Polls of the figures do not count as activity (see `requireSession`). */
export const OVERVIEW_POLL_PATH = "/ui/overview/stats";

const CACHE_NAMES: Readonly<Record<string, string>> = {
  key: "Key cache",
  record: "Record cache",
  list: "Key list cache",
  jwt: "Token cache",
};

/** Routes of the Overview. */
export function overviewRoutes(deps: UiDeps): Hono<UiEnv> {
  const app = new Hono<UiEnv>();
  app.get("/ui", async (c) => {
    const model = await overviewModel(deps);
    return html(c, OverviewPage({ model, viewer: viewerOf(c, deps) }));
  });
  app.get(
    OVERVIEW_POLL_PATH,
    async (c) => html(c, OverviewStats({ model: await overviewModel(deps) })),
  );
  return app;
}

/** Builds the Overview's figures now. */
export async function overviewModel(deps: UiDeps): Promise<OverviewModel> {
  const source = deps.overview;
  const [text, stores] = await Promise.all([source.metricsText(), source.storeHealth()]);
  const m = MetricsSnapshot.parse(text);
  const status = (l: Readonly<Record<string, string>>) => Number(l.status);
  const series = source.requestRate();
  const lastMinute = series.requests.slice(-60);
  const lastMinuteErrors = series.errors.slice(-60).reduce((a, b) => a + b, 0);
  const lastMinuteTotal = lastMinute.reduce((a, b) => a + b, 0);
  const selfTest = m.value("ferrohsm_self_test_passed");
  const storeList = Object.entries(stores).map(([name, p]) => ({
    name,
    kind: p.kind,
    ok: p.ok,
    latencyMs: p.latency_ms,
  }));
  const caches: CacheModel[] = m.samples("ferrohsm_cache_hits_total").map((s) => {
    const name = s.labels.cache ?? "";
    const hits = s.value;
    const misses = m.value("ferrohsm_cache_misses_total", { cache: name }) ?? 0;
    return {
      name: CACHE_NAMES[name] ?? name,
      hits,
      misses,
      ratio: hits + misses === 0 ? undefined : hits / (hits + misses),
    };
  });
  const head = source.auditHead();
  const last = deps.audit.lastVerification();
  const now = deps.clock?.() ?? Date.now();
  return {
    healthy: selfTest === 1 && storeList.every((s) => s.ok),
    version: source.version,
    uptimeSeconds: m.value("ferrohsm_uptime_seconds"),
    selfTestPassed: selfTest === undefined ? undefined : selfTest === 1,
    stores: storeList,
    audit: {
      headSeq: head.seq,
      headHash: head.hash,
      writeFailures: m.value("ferrohsm_audit_write_failures_total") ?? 0,
      ...(last === undefined ? {} : {
        lastVerification: {
          at: last.at,
          intact: last.result.valid,
          text: verifyText(last.result),
        },
      }),
    },
    requests: {
      total: m.sum("ferrohsm_http_requests_total"),
      clientErrors: m.sum(
        "ferrohsm_http_requests_total",
        (l) => status(l) >= 400 && status(l) < 500,
      ),
      serverErrors: m.sum("ferrohsm_http_requests_total", (l) => status(l) >= 500),
      perSecond: lastMinuteTotal / Math.max(lastMinute.length, 1),
      errorRatio: lastMinuteTotal === 0 ? undefined : lastMinuteErrors / lastMinuteTotal,
      chart: {
        requests: averaged(series.requests, CHART_STEP_S),
        errors: averaged(series.errors, CHART_STEP_S),
        stepSeconds: CHART_STEP_S,
      },
    },
    rateLimiter: {
      actorsTracked: m.value("ferrohsm_rate_limiter_keys", { scope: "actor" }) ?? 0,
      addressesTracked: m.value("ferrohsm_rate_limiter_keys", { scope: "ip" }) ?? 0,
      limitedActors: m.value("ferrohsm_rate_limited_total", { scope: "actor" }) ?? 0,
      limitedAddresses: m.value("ferrohsm_rate_limited_total", { scope: "ip" }) ?? 0,
    },
    caches,
    approvalsPending: m.value("ferrohsm_approvals", { state: "pending" }) ?? 0,
    sessions: m.value("ferrohsm_ui_sessions") ?? deps.sessions.stats().open,
    generatedAt: new Date(now).toISOString(),
  };
}

/** Per-second counts as the mean rate of each `step` seconds (the newest step last). */
export function averaged(values: readonly number[], step: number): number[] {
  const out: number[] = [];
  const start = values.length % step;
  for (let i = start; i < values.length; i += step) {
    let sum = 0;
    for (let j = i; j < i + step; j++) sum += values[j] ?? 0;
    out.push(sum / step);
  }
  return out;
}
