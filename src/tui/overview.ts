/**
 * The Health screen's figures, the same the web dashboard's Overview shows: health and
 * self-test, uptime, version, store probes, audit head, request and error counts and
 * rates, rate-limiter and concurrency figures, cache hit ratios and pending approvals.
 * They come from `/healthz` and a parsed `/metrics` scrape; rates are the change between
 * the oldest kept scrape of the last minute and the newest (`ScrapeWindow`).
 */

import type { MetricsSnapshot } from "./prometheus_text.ts";

/** One store's probe from `/healthz`. */
export interface StoreFigure {
  readonly name: string;
  readonly kind: string;
  readonly ok: boolean;
  readonly latencyMs: number;
}

/** One cache's lookups. */
export interface CacheFigure {
  readonly name: string;
  readonly hits: number;
  readonly misses: number;
  /** hits / (hits + misses); undefined before the first lookup. */
  readonly ratio: number | undefined;
}

/** Everything the Health screen shows. */
export interface OverviewFigures {
  readonly status: string;
  readonly version: string | undefined;
  readonly uptimeSeconds: number | undefined;
  readonly selfTestPassed: boolean | undefined;
  readonly stores: readonly StoreFigure[];
  readonly auditHeadSeq: number | undefined;
  readonly auditWriteFailures: number;
  readonly requests: {
    readonly total: number;
    readonly clientErrors: number;
    readonly serverErrors: number;
    /** Requests per second over the window (undefined until two scrapes). */
    readonly perSecond: number | undefined;
    /** Errors (4xx and 5xx) / requests over the window. */
    readonly errorRatio: number | undefined;
  };
  readonly rateLimiter: {
    readonly actorsTracked: number | undefined;
    readonly limitedActors: number;
    readonly limitedAddresses: number;
  };
  readonly concurrency: {
    readonly inFlight: number;
    readonly queued: number;
    readonly shed: number;
  };
  readonly caches: readonly CacheFigure[];
  readonly approvalsPending: number;
  readonly residentMemoryBytes: number | undefined;
}

/** Request counters of one scrape, for rates. */
interface Counts {
  readonly atMs: number;
  readonly total: number;
  readonly errors: number;
}

/** The scrapes of the last minute, for rates (oldest first). */
export class ScrapeWindow {
  readonly #counts: Counts[] = [];
  readonly #spanMs: number;

  constructor(spanMs = 60_000) {
    this.#spanMs = spanMs;
  }

  /** Adds a scrape taken at `atMs`; returns the rates over the window. */
  add(m: MetricsSnapshot, atMs: number): { perSecond?: number; errorRatio?: number } {
    const total = m.sum("ferrohsm_http_requests_total");
    const errors = m.sum("ferrohsm_http_requests_total", (l) => Number(l.status) >= 400);
    this.#counts.push({ atMs, total, errors });
    while (this.#counts.length > 2 && atMs - (this.#counts[0]?.atMs ?? atMs) > this.#spanMs) {
      this.#counts.shift();
    }
    const first = this.#counts[0];
    if (first === undefined || this.#counts.length < 2 || atMs <= first.atMs) return {};
    const requests = Math.max(0, total - first.total);
    const failed = Math.max(0, errors - first.errors);
    return {
      perSecond: requests / ((atMs - first.atMs) / 1000),
      ...(requests === 0 ? {} : { errorRatio: failed / requests }),
    };
  }
}

const CACHE_NAMES: Readonly<Record<string, string>> = {
  key: "Key cache",
  record: "Record cache",
  list: "Key list cache",
  jwt: "Token cache",
};

/** Builds the figures from the health document, a scrape and the window's rates. */
export function overviewFigures(
  health: Readonly<Record<string, unknown>>,
  m: MetricsSnapshot,
  rates: { perSecond?: number; errorRatio?: number },
): OverviewFigures {
  const status = (l: Readonly<Record<string, string>>) => Number(l.status);
  const selfTest = m.value("ferrohsm_self_test_passed");
  const caches = m.samples("ferrohsm_cache_hits_total").map((s): CacheFigure => {
    const name = s.labels.cache ?? "";
    const misses = m.value("ferrohsm_cache_misses_total", { cache: name }) ?? 0;
    const lookups = s.value + misses;
    return {
      name: CACHE_NAMES[name] ?? name,
      hits: s.value,
      misses,
      ratio: lookups === 0 ? undefined : s.value / lookups,
    };
  });
  return {
    status: typeof health.status === "string" ? health.status : "unknown",
    version: typeof health.version === "string" ? health.version : undefined,
    uptimeSeconds: m.value("ferrohsm_uptime_seconds") ?? numberAt(health, "uptime_s"),
    selfTestPassed: selfTest === undefined
      ? (health.self_test === undefined ? undefined : health.self_test === "passed")
      : selfTest === 1,
    stores: storesOf(health.stores),
    auditHeadSeq: m.value("ferrohsm_audit_head_seq") ?? numberAt(health, "audit_head_seq"),
    auditWriteFailures: m.value("ferrohsm_audit_write_failures_total") ?? 0,
    requests: {
      total: m.sum("ferrohsm_http_requests_total"),
      clientErrors: m.sum(
        "ferrohsm_http_requests_total",
        (l) => status(l) >= 400 && status(l) < 500,
      ),
      serverErrors: m.sum("ferrohsm_http_requests_total", (l) => status(l) >= 500),
      perSecond: rates.perSecond,
      errorRatio: rates.errorRatio,
    },
    rateLimiter: {
      actorsTracked: m.value("ferrohsm_rate_limiter_keys", { scope: "actor" }) ??
        numberAt(health, "rate_limiter", "actor", "actors"),
      limitedActors: m.value("ferrohsm_rate_limited_total", { scope: "actor" }) ?? 0,
      limitedAddresses: m.value("ferrohsm_rate_limited_total", { scope: "ip" }) ?? 0,
    },
    concurrency: {
      inFlight: m.value("ferrohsm_requests_in_flight") ?? 0,
      queued: m.value("ferrohsm_requests_queued") ?? 0,
      shed: m.value("ferrohsm_requests_shed_total") ?? 0,
    },
    caches,
    approvalsPending: m.value("ferrohsm_approvals", { state: "pending" }) ?? 0,
    residentMemoryBytes: m.value("process_resident_memory_bytes"),
  };
}

function numberAt(value: unknown, ...path: string[]): number | undefined {
  let at: unknown = value;
  for (const key of path) {
    if (typeof at !== "object" || at === null || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return typeof at === "number" && Number.isFinite(at) ? at : undefined;
}

function storesOf(value: unknown): StoreFigure[] {
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value as Record<string, unknown>).map(([name, p]) => {
    const probe = (typeof p === "object" && p !== null ? p : {}) as Record<string, unknown>;
    return {
      name,
      kind: typeof probe.kind === "string" ? probe.kind : "?",
      ok: probe.ok === true,
      latencyMs: typeof probe.latency_ms === "number" ? probe.latency_ms : 0,
    };
  });
}
