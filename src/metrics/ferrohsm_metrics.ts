/**
 * FerroHSM's metric set: every metric the server exports, typed recording methods the
 * composition root hands to services as observers, and scrape-time sources (caches,
 * audit head, approvals, process figures) read when `/metrics` is rendered.
 *
 * Security caveats: labels carry only bounded, non-secret vocabularies (route patterns,
 * algorithm names, error codes, failure reasons), never key ids, actors, tokens or raw
 * paths; each metric is also capped in label combinations by the registry. The figures
 * reveal activity levels, so `/metrics` should be bound to localhost or put behind
 * `--metrics-auth`.
 */

import { APPROVAL_STATES } from "../domain/records.ts";
import {
  type CollectedSample,
  type Counter,
  DEFAULT_LATENCY_BUCKETS,
  DEFAULT_MAX_SERIES,
  type Gauge,
  type Histogram,
  OVERFLOW_LABEL_VALUE,
  Registry,
} from "./registry.ts";

/** Hit/miss figures of a cache (the fields a cache does not track are left out). */
export interface CacheFigures {
  readonly hits: number;
  readonly misses: number;
  readonly evictions?: number;
  readonly size?: number;
  readonly capacity?: number;
}

/** Audit log figures read at scrape time. */
export interface AuditFigures {
  readonly headSeq: number;
  /** Failed store writes (batches). */
  readonly failures: number;
  readonly anchorFailures: number;
  /** Appends waiting for the next batch. */
  readonly pending: number;
}

/** Figures of one audit sink forwarder. */
export interface AuditSinkFigures {
  /** Stable sink id (bounded: one per configured sink). */
  readonly id: string;
  readonly cursor: number;
  readonly lag: number;
  readonly forwarded: number;
  readonly failures: number;
  readonly connected: boolean;
}

/** Figures of the serving certificate, its reloads, ACME renewals and OCSP status. */
export interface TlsFigures {
  /** The serving certificate's notAfter, seconds since the epoch. */
  readonly notAfterSeconds: number;
  readonly reloads: number;
  readonly reloadFailures: number;
  readonly acmeRenewals: number;
  readonly acmeFailures: number;
  /** Current OCSP status: good, revoked, unknown, unavailable (fetch failing), none (no URL). */
  readonly ocspStatus: string;
  /** The cached response's nextUpdate, seconds since the epoch (absent: none). */
  readonly ocspNextUpdateSeconds?: number | undefined;
  readonly ocspFailures: number;
}

/** OCSP statuses always reported (1 for the current one, 0 for the others). */
const OCSP_STATUSES = ["good", "revoked", "unknown", "unavailable", "none"];

/** Scrape-time sources, registered by the composition root; any may be left out. */
export interface MetricsSources {
  /** Cache figures by cache name (e.g. `key`, `list`, `jwt`). */
  readonly caches?: Readonly<Record<string, () => CacheFigures>>;
  readonly audit?: () => AuditFigures;
  /** Approvals by state; awaited before each scrape. */
  readonly approvalsByState?: () => Promise<Readonly<Record<string, number>>>;
  /** True when the power-up self-tests passed. */
  readonly selfTestPassed?: () => boolean;
  /**
   * Requests refused so far by rate limiters that count themselves, by scope (added to
   * what `rateLimited(scope)` recorded; report a scope through one of the two only).
   */
  readonly rateLimited?: Readonly<Record<string, () => number>>;
  /** The concurrency bound's figures. */
  readonly concurrency?: () => ConcurrencyFigures;
  /** Keys (actors, client addresses) each rate limiter tracks now, by scope. */
  readonly rateLimiterKeys?: Readonly<Record<string, () => number>>;
  /** Open web dashboard sessions. */
  readonly uiSessions?: () => number;
  /** The last online audit verification, if one ran since start. */
  readonly auditVerification?: () => AuditVerificationFigures | undefined;
  /** Audit sink forwarders' figures. */
  readonly auditSinks?: () => readonly AuditSinkFigures[];
  /** The TLS listener's certificate figures (absent without TLS). */
  readonly tls?: () => TlsFigures | undefined;
}

/** The outcome of the last online audit chain verification. */
export interface AuditVerificationFigures {
  /** When it finished, seconds since the Unix epoch. */
  readonly atSeconds: number;
  readonly valid: boolean;
}

/** Figures of the global concurrency bound. */
export interface ConcurrencyFigures {
  readonly running: number;
  readonly queued: number;
  /** Requests refused (queue full or wait timed out) so far. */
  readonly shed: number;
}

/** Process figures (injectable for tests). */
export interface ProcessFigures {
  /** Seconds since the process started. */
  uptimeSeconds(): number;
  /** Process start time, seconds since the Unix epoch. */
  startTimeSeconds(): number;
  /** Resident set size in bytes. */
  residentMemoryBytes(): number;
}

/** Options of FerroHsmMetrics. */
export interface FerroHsmMetricsOptions {
  readonly process?: ProcessFigures;
  /** Label combinations per metric (default 1000). */
  readonly maxSeries?: number;
}

/** The approval states always reported (0 when none). */

const AUDIT_LATENCY_BUCKETS = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
];
const AUDIT_BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

const denoProcess: ProcessFigures = {
  uptimeSeconds: () => performance.now() / 1000,
  startTimeSeconds: () => performance.timeOrigin / 1000,
  residentMemoryBytes: () => Deno.memoryUsage().rss,
};

/** Every FerroHSM metric, with typed recording methods and `render()` for `/metrics`. */
export class FerroHsmMetrics {
  /** The underlying registry (to add metrics elsewhere, e.g. in tests or new features). */
  readonly registry: Registry;
  readonly #httpRequests: Counter<"route" | "method" | "status">;
  readonly #httpDuration: Histogram<"route" | "method">;
  readonly #cryptoOps: Counter<"algorithm" | "operation" | "result">;
  readonly #jwtFailures: Counter<"reason">;
  readonly #rateLimited = new Map<string, number>();
  readonly #auditLatency: Histogram;
  readonly #auditBatchSize: Histogram;
  readonly #approvals: Gauge<"state">;
  readonly #collectErrors: Counter<"metric">;
  readonly #maxSeries: number;
  #sources: MetricsSources = {};

  constructor(options: FerroHsmMetricsOptions = {}) {
    const proc = options.process ?? denoProcess;
    this.#maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
    const cap = options.maxSeries === undefined ? {} : { maxSeries: options.maxSeries };
    const r = new Registry({
      onCollectError: (metric) => this.#collectErrors.inc({ metric }),
    });
    this.registry = r;
    this.#httpRequests = r.counter({
      name: "ferrohsm_http_requests_total",
      help: "HTTP requests answered, by matched route pattern, method and status code",
      labelNames: ["route", "method", "status"],
      ...cap,
    });
    this.#httpDuration = r.histogram({
      name: "ferrohsm_http_request_duration_seconds",
      help: "Time to answer an HTTP request, by matched route pattern and method",
      labelNames: ["route", "method"],
      buckets: DEFAULT_LATENCY_BUCKETS,
      ...cap,
    });
    this.#cryptoOps = r.counter({
      name: "ferrohsm_crypto_operations_total",
      help: "Cryptographic operations on stored keys, by algorithm, operation and result",
      labelNames: ["algorithm", "operation", "result"],
      ...cap,
    });
    this.#jwtFailures = r.counter({
      name: "ferrohsm_jwt_failures_total",
      help: "Bearer tokens refused, by reason",
      labelNames: ["reason"],
      ...cap,
    });
    r.counter({
      name: "ferrohsm_rate_limited_total",
      help: "Requests refused by a rate limiter, by scope",
      labelNames: ["scope"],
      collect: () => this.#rateLimitedSamples(),
      ...cap,
    });
    const concurrency = (pick: (f: ConcurrencyFigures) => number) => () => {
      const figures = this.#sources.concurrency?.();
      return figures === undefined ? [] : [{ labels: {}, value: pick(figures) }];
    };
    r.counter({
      name: "ferrohsm_requests_shed_total",
      help: "API requests refused by the concurrency bound (queue full or wait timed out)",
      collect: concurrency((f) => f.shed),
    });
    r.gauge({
      name: "ferrohsm_requests_in_flight",
      help: "API requests running now",
      collect: concurrency((f) => f.running),
    });
    r.gauge({
      name: "ferrohsm_requests_queued",
      help: "API requests waiting for a slot now",
      collect: concurrency((f) => f.queued),
    });
    const cacheFigure = (pick: (f: CacheFigures) => number | undefined) => () =>
      this.#cacheSamples(pick);
    r.counter({
      name: "ferrohsm_cache_hits_total",
      help: "Cache lookups answered from the cache, by cache",
      labelNames: ["cache"],
      collect: cacheFigure((f) => f.hits),
    });
    r.counter({
      name: "ferrohsm_cache_misses_total",
      help: "Cache lookups not answered from the cache, by cache",
      labelNames: ["cache"],
      collect: cacheFigure((f) => f.misses),
    });
    r.counter({
      name: "ferrohsm_cache_evictions_total",
      help: "Entries evicted to keep a cache within its capacity, by cache",
      labelNames: ["cache"],
      collect: cacheFigure((f) => f.evictions),
    });
    r.gauge({
      name: "ferrohsm_cache_entries",
      help: "Entries currently held, by cache",
      labelNames: ["cache"],
      collect: cacheFigure((f) => f.size),
    });
    r.gauge({
      name: "ferrohsm_cache_capacity_entries",
      help: "Most entries a cache holds, by cache",
      labelNames: ["cache"],
      collect: cacheFigure((f) => f.capacity),
    });
    this.#approvals = r.gauge({
      name: "ferrohsm_approvals",
      help: "Dual-control approval requests, by state",
      labelNames: ["state"],
    });
    this.#auditLatency = r.histogram({
      name: "ferrohsm_audit_append_latency_seconds",
      help: "Time from the oldest append of an audit batch until the batch was durable",
      buckets: AUDIT_LATENCY_BUCKETS,
    });
    this.#auditBatchSize = r.histogram({
      name: "ferrohsm_audit_batch_size",
      help: "Audit entries written per durable batch (group commit)",
      buckets: AUDIT_BATCH_BUCKETS,
    });
    const audit = (pick: (f: AuditFigures) => number) => () => {
      const figures = this.#sources.audit?.();
      return figures === undefined ? [] : [{ labels: {}, value: pick(figures) }];
    };
    r.gauge({
      name: "ferrohsm_audit_head_seq",
      help: "Sequence number of the last durable audit entry",
      collect: audit((f) => f.headSeq),
    });
    r.gauge({
      name: "ferrohsm_audit_pending_entries",
      help: "Audit appends waiting for the next batch",
      collect: audit((f) => f.pending),
    });
    r.counter({
      name: "ferrohsm_audit_write_failures_total",
      help: "Audit batches whose store write failed (their operations were refused)",
      collect: audit((f) => f.failures),
    });
    r.counter({
      name: "ferrohsm_audit_anchor_failures_total",
      help: "Failed background writes of the audit truncation anchor",
      collect: audit((f) => f.anchorFailures),
    });
    this.#registerStreamMetrics(r);
    r.gauge({
      name: "ferrohsm_rate_limiter_keys",
      help: "Buckets a rate limiter holds now (actors or client addresses tracked), by scope",
      labelNames: ["scope"],
      collect: () =>
        Object.entries(this.#sources.rateLimiterKeys ?? {}).map(([scope, read]) => ({
          labels: { scope },
          value: read(),
        })),
    });
    r.gauge({
      name: "ferrohsm_ui_sessions",
      help: "Open web dashboard sessions",
      collect: () => {
        const open = this.#sources.uiSessions?.();
        return open === undefined ? [] : [{ labels: {}, value: open }];
      },
    });
    const verification = (pick: (f: AuditVerificationFigures) => number) => () => {
      const figures = this.#sources.auditVerification?.();
      return figures === undefined ? [] : [{ labels: {}, value: pick(figures) }];
    };
    r.gauge({
      name: "ferrohsm_audit_last_verification_timestamp_seconds",
      help: "When the last online audit chain verification finished (absent before the first)",
      collect: verification((f) => f.atSeconds),
    });
    r.gauge({
      name: "ferrohsm_audit_last_verification_valid",
      help: "1 when the last online audit chain verification found the chain intact, 0 if not",
      collect: verification((f) => (f.valid ? 1 : 0)),
    });
    r.gauge({
      name: "ferrohsm_self_test_passed",
      help: "1 when the power-up self-tests passed, 0 otherwise",
      collect: () => {
        const passed = this.#sources.selfTestPassed?.();
        return passed === undefined ? [] : [{ labels: {}, value: passed ? 1 : 0 }];
      },
    });
    r.gauge({
      name: "ferrohsm_uptime_seconds",
      help: "Seconds since the server process started",
      collect: () => proc.uptimeSeconds(),
    });
    r.gauge({
      name: "process_start_time_seconds",
      help: "Start time of the process since the Unix epoch in seconds",
      collect: () => proc.startTimeSeconds(),
    });
    r.gauge({
      name: "process_resident_memory_bytes",
      help: "Resident memory size of the process in bytes",
      collect: () => proc.residentMemoryBytes(),
    });
    this.#collectErrors = r.counter({
      name: "ferrohsm_metrics_collect_errors_total",
      help: "Scrape-time metric sources that failed, by metric",
      labelNames: ["metric"],
    });
  }

  /** Registers the scrape-time sources (replacing earlier ones). */
  setSources(sources: MetricsSources): void {
    this.#sources = sources;
  }

  /** Records one answered HTTP request; `route` must be a route pattern, never a raw path. */
  httpRequest(route: string, method: string, status: number, seconds: number): void {
    this.#httpRequests.inc({ route, method, status: String(status) });
    this.#httpDuration.observe({ route, method }, seconds);
  }

  /** Records one cryptographic operation; `result` is "ok" or an HsmError code. */
  cryptoOp(algorithm: string, operation: string, result: string): void {
    this.#cryptoOps.inc({ algorithm, operation, result });
  }

  /** Records one refused bearer token by its `JwtFailure.reason`. */
  jwtFailure(reason: string): void {
    this.#jwtFailures.inc({ reason });
  }

  /** Records one request refused by a rate limiter (`scope` e.g. "actor" or "ip"). */
  rateLimited(scope: string): void {
    const known = this.#rateLimited.get(scope);
    if (known === undefined && this.#rateLimited.size >= this.#maxSeries) {
      scope = OVERFLOW_LABEL_VALUE;
    }
    this.#rateLimited.set(scope, (this.#rateLimited.get(scope) ?? 0) + 1);
  }

  /** Records one durable audit batch: its entry count and latency in seconds. */
  auditBatch(size: number, seconds: number): void {
    this.#auditBatchSize.observe(undefined, size);
    this.#auditLatency.observe(undefined, seconds);
  }

  /** Refreshes the asynchronous sources and renders the exposition text. */
  async render(): Promise<string> {
    await this.#refreshApprovals();
    return this.registry.render();
  }

  async #refreshApprovals(): Promise<void> {
    const source = this.#sources.approvalsByState;
    if (source === undefined) return;
    this.#approvals.reset();
    try {
      const counts = await source();
      const states = new Set<string>([...APPROVAL_STATES, ...Object.keys(counts)]);
      for (const state of states) this.#approvals.set({ state }, counts[state] ?? 0);
    } catch {
      this.#approvals.reset();
      this.#collectErrors.inc({ metric: "ferrohsm_approvals" });
    }
  }

  #registerStreamMetrics(r: Registry): void {
    const sink = (pick: (f: AuditSinkFigures) => number) => () =>
      (this.#sources.auditSinks?.() ?? []).map((f) => ({ labels: { sink: f.id }, value: pick(f) }));
    r.gauge({
      name: "ferrohsm_audit_sink_lag_entries",
      help: "Committed audit entries a sink has not accepted yet, by sink",
      labelNames: ["sink"],
      collect: sink((f) => f.lag),
    });
    r.gauge({
      name: "ferrohsm_audit_sink_cursor_seq",
      help: "Sequence number of the last audit entry a sink accepted, by sink",
      labelNames: ["sink"],
      collect: sink((f) => f.cursor),
    });
    r.counter({
      name: "ferrohsm_audit_sink_forwarded_total",
      help: "Audit entries a sink accepted (resends included), by sink",
      labelNames: ["sink"],
      collect: sink((f) => f.forwarded),
    });
    r.counter({
      name: "ferrohsm_audit_sink_failures_total",
      help: "Failed deliveries to an audit sink, by sink",
      labelNames: ["sink"],
      collect: sink((f) => f.failures),
    });
    r.gauge({
      name: "ferrohsm_audit_sink_connected",
      help: "1 while an audit sink holds a working connection, by sink",
      labelNames: ["sink"],
      collect: sink((f) => f.connected ? 1 : 0),
    });
    const tls = (pick: (f: TlsFigures) => number | undefined) => () => {
      const figures = this.#sources.tls?.();
      const value = figures === undefined ? undefined : pick(figures);
      return value === undefined ? [] : [{ labels: {}, value }];
    };
    r.gauge({
      name: "ferrohsm_tls_certificate_not_after_seconds",
      help: "Expiry of the serving TLS certificate, seconds since the Unix epoch",
      collect: tls((f) => f.notAfterSeconds),
    });
    r.counter({
      name: "ferrohsm_tls_certificate_reloads_total",
      help: "Serving certificates swapped in without a restart",
      collect: tls((f) => f.reloads),
    });
    r.counter({
      name: "ferrohsm_tls_certificate_reload_failures_total",
      help: "Changed certificate files that could not be loaded (the old certificate stays)",
      collect: tls((f) => f.reloadFailures),
    });
    r.counter({
      name: "ferrohsm_acme_renewals_total",
      help: "ACME certificate orders completed",
      collect: tls((f) => f.acmeRenewals),
    });
    r.counter({
      name: "ferrohsm_acme_failures_total",
      help: "ACME certificate orders that failed",
      collect: tls((f) => f.acmeFailures),
    });
    r.gauge({
      name: "ferrohsm_ocsp_status",
      help: "1 for the serving certificate's current OCSP status, 0 for the others",
      labelNames: ["status"],
      collect: () => {
        const figures = this.#sources.tls?.();
        if (figures === undefined) return [];
        return OCSP_STATUSES.map((status) => ({
          labels: { status },
          value: status === figures.ocspStatus ? 1 : 0,
        }));
      },
    });
    r.gauge({
      name: "ferrohsm_ocsp_next_update_seconds",
      help: "nextUpdate of the cached OCSP response, seconds since the Unix epoch",
      collect: tls((f) => f.ocspNextUpdateSeconds),
    });
    r.counter({
      name: "ferrohsm_ocsp_fetch_failures_total",
      help: "OCSP fetches that failed or returned an unusable response",
      collect: tls((f) => f.ocspFailures),
    });
  }

  #rateLimitedSamples(): CollectedSample<"scope">[] {
    const counts = new Map(this.#rateLimited);
    for (const [scope, read] of Object.entries(this.#sources.rateLimited ?? {})) {
      counts.set(scope, (counts.get(scope) ?? 0) + read());
    }
    return [...counts].map(([scope, value]) => ({ labels: { scope }, value }));
  }

  #cacheSamples(pick: (f: CacheFigures) => number | undefined): CollectedSample<"cache">[] {
    const samples: CollectedSample<"cache">[] = [];
    for (const [cache, read] of Object.entries(this.#sources.caches ?? {})) {
      const value = pick(read());
      if (value !== undefined) samples.push({ labels: { cache }, value });
    }
    return samples;
  }
}
