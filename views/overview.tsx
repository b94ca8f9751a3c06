/**
 * The Overview page: health, uptime, version, audit chain head and last verification,
 * request and error rates, rate limiter and cache figures, pending approvals, and the
 * requests-per-second chart. The figures section polls itself every 5 seconds (htmx
 * swaps the whole section, which carries the polling attributes again).
 */

import type { View } from "./view.ts";
import { type ChartModel, RequestChart } from "./chart.tsx";
import { Hash, Time } from "./components.tsx";
import { formatCount, formatDecimal, formatDuration, formatPercent } from "./format.ts";
import { Layout, type Viewer } from "./layout.tsx";

/** One store's reachability. */
export interface StoreHealthModel {
  readonly name: string;
  readonly kind: string;
  readonly ok: boolean;
  readonly latencyMs: number;
}

/** One cache's figures. */
export interface CacheModel {
  readonly name: string;
  readonly hits: number;
  readonly misses: number;
  /** hits / (hits + misses); undefined before the first lookup. */
  readonly ratio: number | undefined;
}

/** Everything the Overview shows. */
export interface OverviewModel {
  readonly healthy: boolean;
  readonly version: string;
  readonly uptimeSeconds: number | undefined;
  readonly selfTestPassed: boolean | undefined;
  readonly stores: readonly StoreHealthModel[];
  readonly audit: {
    readonly headSeq: number;
    readonly headHash: string;
    readonly writeFailures: number;
    readonly lastVerification?: {
      readonly at: string;
      readonly intact: boolean;
      readonly text: string;
    };
  };
  readonly requests: {
    readonly total: number;
    readonly clientErrors: number;
    readonly serverErrors: number;
    /** Mean requests per second over the last minute. */
    readonly perSecond: number;
    /** Errors / requests over the last minute (undefined without requests). */
    readonly errorRatio: number | undefined;
    readonly chart: ChartModel;
  };
  readonly rateLimiter: {
    readonly actorsTracked: number;
    readonly addressesTracked: number;
    readonly limitedActors: number;
    readonly limitedAddresses: number;
  };
  readonly caches: readonly CacheModel[];
  readonly approvalsPending: number;
  readonly sessions: number;
  readonly generatedAt: string;
}

/** The Overview page. */
export function OverviewPage(props: { model: OverviewModel; viewer: Viewer }): View {
  return (
    <Layout title="Overview" section="overview" viewer={props.viewer}>
      <div class="page-head">
        <div>
          <h1>Overview</h1>
          <p>Live figures from the server's metrics, refreshed every 5 seconds.</p>
        </div>
      </div>
      <OverviewStats model={props.model} />
    </Layout>
  );
}

/** The polling figures section (also answered alone to each poll). */
export function OverviewStats(props: { model: OverviewModel }): View {
  const m = props.model;
  return (
    <section
      id="overview-stats"
      aria-label="Server figures"
      hx-get="/ui/overview/stats"
      hx-trigger="every 5s"
      hx-swap="outerHTML"
    >
      <div class="grid">
        <HealthCard model={m} />
        <div class="card">
          <h2>Uptime</h2>
          <p class="value">
            {m.uptimeSeconds === undefined ? "–" : formatDuration(m.uptimeSeconds)}
          </p>
          <p class="detail">Version {m.version}</p>
        </div>
        <RequestsCard model={m} />
        <AuditCard model={m} />
        <div class="card">
          <h2>Approvals pending</h2>
          <p class="value">{formatCount(m.approvalsPending)}</p>
          <p class="detail">
            <a href="/ui/approvals">Review pending requests</a>
          </p>
        </div>
        <div class="card">
          <h2>Rate limiter</h2>
          <dl>
            <dt>Actors tracked</dt>
            <dd>{formatCount(m.rateLimiter.actorsTracked)}</dd>
            <dt>Addresses tracked</dt>
            <dd>{formatCount(m.rateLimiter.addressesTracked)}</dd>
            <dt>Limited (actor)</dt>
            <dd>{formatCount(m.rateLimiter.limitedActors)}</dd>
            <dt>Limited (address)</dt>
            <dd>{formatCount(m.rateLimiter.limitedAddresses)}</dd>
          </dl>
        </div>
        <div class="card">
          <h2>Cache hit ratios</h2>
          <dl>
            {m.caches.map((cache) => (
              <>
                <dt>{cache.name}</dt>
                <dd title={`${cache.hits} hits, ${cache.misses} misses`}>
                  {formatPercent(cache.ratio)}
                </dd>
              </>
            ))}
          </dl>
        </div>
      </div>
      <section class="panel" aria-labelledby="rate-title">
        <h2 id="rate-title">Requests per second</h2>
        <RequestChart model={m.requests.chart} />
      </section>
      <p class="hint">
        Figures as of <Time iso={m.generatedAt} />.
      </p>
    </section>
  );
}

function HealthCard(props: { model: OverviewModel }) {
  const m = props.model;
  return (
    <div class="card">
      <h2>Status</h2>
      <p class={`value ${m.healthy ? "ok" : "bad"}`}>{m.healthy ? "Healthy" : "Degraded"}</p>
      <dl>
        <dt>Self-test</dt>
        <dd class={m.selfTestPassed === false ? "bad" : undefined}>
          {m.selfTestPassed === undefined ? "–" : m.selfTestPassed ? "passed" : "failed"}
        </dd>
        {m.stores.map((s) => (
          <>
            <dt>{s.name} store ({s.kind})</dt>
            <dd class={s.ok ? undefined : "bad"}>
              {s.ok ? `ok, ${formatDecimal(s.latencyMs)} ms` : "unreachable"}
            </dd>
          </>
        ))}
        <dt>Dashboard sessions</dt>
        <dd>{formatCount(m.sessions)}</dd>
      </dl>
    </div>
  );
}

function RequestsCard(props: { model: OverviewModel }) {
  const r = props.model.requests;
  return (
    <div class="card">
      <h2>Requests</h2>
      <p class="value">{formatDecimal(r.perSecond)} /s</p>
      <p class="detail">
        {r.errorRatio === undefined
          ? "No requests in the last minute"
          : `${formatPercent(r.errorRatio)} errors over the last minute`}
      </p>
      <dl>
        <dt>Total answered</dt>
        <dd>{formatCount(r.total)}</dd>
        <dt>Client errors (4xx)</dt>
        <dd>{formatCount(r.clientErrors)}</dd>
        <dt>Server errors (5xx)</dt>
        <dd class={r.serverErrors > 0 ? "warn" : undefined}>{formatCount(r.serverErrors)}</dd>
      </dl>
    </div>
  );
}

function AuditCard(props: { model: OverviewModel }) {
  const a = props.model.audit;
  const last = a.lastVerification;
  return (
    <div class="card">
      <h2>Audit chain</h2>
      <p class="value">#{formatCount(a.headSeq)}</p>
      <p class="detail">
        Head <Hash value={a.headHash} label="Head hash" />
      </p>
      <p class="detail">
        {last === undefined ? "Not verified since start" : (
          <>
            <span class={last.intact ? "ok" : "bad"}>{last.text}</span>, <Time iso={last.at} />
          </>
        )}
      </p>
      {a.writeFailures > 0
        ? <p class="detail bad">{formatCount(a.writeFailures)} failed audit writes</p>
        : null}
    </div>
  );
}
