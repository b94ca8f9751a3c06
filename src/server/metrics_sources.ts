/**
 * Connects the metric set to the live figures of the services (caches, audit log and its
 * last verification, approvals, self-test, rate limiters, concurrency bound, dashboard
 * sessions). Read at scrape time.
 */

import type { ApprovalService } from "../approvals/approval_service.ts";
import type { AuditLog } from "../audit/audit_log.ts";
import type { AuditService } from "../audit/audit_service.ts";
import type { AuditSinks } from "../audit/sinks/audit_sinks.ts";
import type { TlsManager } from "./tls/tls_manager.ts";
import type { JwtVerifier } from "../auth/jwt.ts";
import type { SelfTestReport } from "../core/self_test.ts";
import type { HttpLimits } from "../http/limits_config.ts";
import type { SessionStore } from "../http/ui_sessions.ts";
import type { KeyLoader } from "../keys/key_loader.ts";
import type { KeyRecords } from "../keys/key_records.ts";
import type { ListCache } from "../keys/list_cache.ts";
import type { FerroHsmMetrics } from "../metrics/ferrohsm_metrics.ts";

/** The services whose figures the metrics read. */
export interface MetricSourceServices {
  readonly loader: KeyLoader;
  readonly records: KeyRecords;
  readonly listCache: ListCache;
  readonly verifier: JwtVerifier;
  readonly auditLog: AuditLog;
  readonly approvals: ApprovalService;
  readonly selfTest: SelfTestReport;
  readonly limits: HttpLimits;
  readonly audit: AuditService;
  readonly uiSessions: SessionStore;
  readonly auditSinks?: AuditSinks;
  readonly tls?: TlsManager | undefined;
}

/** Points every metric source of `metrics` at the services. */
export function connectMetricSources(metrics: FerroHsmMetrics, s: MetricSourceServices): void {
  metrics.setSources({
    caches: {
      key: () => s.loader.stats(),
      record: () => s.records.stats(),
      list: () => {
        const stats = s.listCache.stats();
        return { ...stats, capacity: stats.maxEntries };
      },
      jwt: () => ({ ...s.verifier.cacheStats, size: s.verifier.cacheSize }),
    },
    audit: () => {
      const stats = s.auditLog.stats();
      return {
        headSeq: s.auditLog.head().seq,
        failures: stats.failures,
        anchorFailures: stats.anchorFailures,
        pending: stats.pending,
      };
    },
    approvalsByState: () => s.approvals.countByState(),
    selfTestPassed: () => s.selfTest.ok,
    rateLimited: {
      ip: () => s.limits.ip.stats().limited,
      actor: () => s.limits.actor.stats().limited,
    },
    concurrency: () => s.limits.shed.stats(),
    rateLimiterKeys: {
      ip: () => s.limits.ip.stats().actors,
      actor: () => s.limits.actor.stats().actors,
    },
    uiSessions: () => s.uiSessions.stats().open,
    auditVerification: () => {
      const last = s.audit.lastVerification();
      return last === undefined
        ? undefined
        : { atSeconds: Date.parse(last.at) / 1000, valid: last.result.valid };
    },
    auditSinks: () => s.auditSinks?.stats() ?? [],
    tls: () => s.tls?.figures(),
  });
}
