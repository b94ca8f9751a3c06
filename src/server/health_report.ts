/**
 * The `/healthz` document: overall status (degraded when the self-test failed or a
 * store does not answer a read), uptime, and the figures operators watch (audit head,
 * caches, rate limiters, concurrency, keyset, per-store probes).
 */

import type { Config } from "../config/config.ts";
import type { Services } from "./services.ts";
import type { TlsHealth } from "./tls/tls_manager.ts";

/** Reachability of one store, as /healthz reports it. */
export interface StoreProbe {
  readonly kind: string;
  readonly ok: boolean;
  readonly latency_ms: number;
}

/** The health document (`status` "ok" or "degraded"). */
export type HealthReport = Record<string, unknown> & { status: string };

/** Checks that each store answers a read; never throws. */
export async function probeStores(
  services: Services,
  config: Config,
): Promise<Record<string, StoreProbe>> {
  const { stores } = services;
  const [key, audit, approval] = await Promise.all([
    probe(config.keyStore, () => stores.keys.get("health-probe")),
    probe(config.auditStore, () => stores.audit.last()),
    probe(config.approvalStore, () => stores.approvals.get("health-probe")),
  ]);
  return { key, audit, approval };
}

/**
 * Builds the health document now; `detail` (a caller granted `metrics:read`) adds the
 * TLS and audit sink detail beyond their status.
 */
export async function healthReport(
  services: Services,
  config: Config,
  started: number,
  detail = false,
): Promise<HealthReport> {
  const stores = await probeStores(services, config);
  const healthy = services.selfTest.ok && Object.values(stores).every((p) => p.ok);
  return {
    status: healthy ? "ok" : "degraded",
    uptime_s: Math.floor((Date.now() - started) / 1000),
    self_test: services.selfTest.ok ? "passed" : "failed",
    audit_head_seq: services.auditLog.head().seq,
    key_cache: services.loader.stats(),
    rate_limiter: {
      actor: services.limits.actor.stats(),
      ip: services.limits.ip.stats(),
    },
    load_shed: services.limits.shed.stats(),
    list_cache: services.listCache.stats(),
    keyset: services.keyring.status(),
    stores,
    audit_sinks: services.auditSinks.stats().map((f) =>
      detail
        ? {
          id: f.id,
          kind: f.kind,
          cursor: f.cursor,
          lag: f.lag,
          connected: f.connected,
          failures: f.failures,
          ...(f.lastError === undefined ? {} : { last_error: f.lastError }),
        }
        : { kind: f.kind, lag: f.lag, connected: f.connected }
    ),
    ...(services.tls === undefined ? {} : { tls: tlsHealth(services.tls.health(), detail) }),
  };
}

async function probe(kind: string, read: () => Promise<unknown>): Promise<StoreProbe> {
  const start = performance.now();
  let ok = true;
  try {
    await read();
  } catch {
    ok = false;
  }
  return { kind, ok, latency_ms: Math.round((performance.now() - start) * 100) / 100 };
}

/** The TLS block: expiry and OCSP status for everyone, the rest with detail. */
function tlsHealth(h: TlsHealth, detail: boolean): Record<string, unknown> {
  return detail ? { ...h } : { not_after: h.not_after, ocsp: { status: h.ocsp.status } };
}
