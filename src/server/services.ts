/**
 * Builds every service from a ServerConfig, in the order that keeps each step fail
 * closed: root secrets → power-up self-tests → key check values → stores → audit log →
 * keyset → policy engine (stored policies checked and loaded, bundle scripts compiled) →
 * access control → key, approval, crypto, audit, policy and retention services (the
 * retention attestation key and ledger checked). Services are wired by constructor
 * injection only; the configuration files are held by a `LiveConfig` a reload swaps.
 */

import { Guard } from "../access/guard.ts";
import type { RbacPolicy } from "../access/rbac.ts";
import { ApprovalService } from "../approvals/approval_service.ts";
import { AuditLog } from "../audit/audit_log.ts";
import { AuditService } from "../audit/audit_service.ts";
import { AuditSinks } from "../audit/sinks/audit_sinks.ts";
import { deriveAuditMacKey } from "../audit/chain.ts";
import { RecordJournal } from "../audit/record_journal.ts";
import { JwksKeyring } from "../auth/jwks.ts";
import { JwtVerifier } from "../auth/jwt.ts";
import type { ServerConfig } from "../config/config_files.ts";
import { RootKeys } from "../core/master_key.ts";
import { Sealer } from "../core/sealing.ts";
import { runSelfTests, type SelfTestReport } from "../core/self_test.ts";
import { generateMaterial, offloadKey } from "../core/offload/offloaded_key.ts";
import { createOffloadPool } from "../core/offload/pool.ts";
import { wipe } from "../core/zeroize.ts";
import { createHttpLimits, type HttpLimits } from "../http/limits_config.ts";
import { SessionStore } from "../http/ui_sessions.ts";
import { keyApprovalExecutors } from "../keys/approval_executors.ts";
import { CryptoService } from "../keys/crypto_service.ts";
import { KeyLoader } from "../keys/key_loader.ts";
import { KeyRecords } from "../keys/key_records.ts";
import { KeyService } from "../keys/key_service.ts";
import { KeyTransitions } from "../keys/key_transitions.ts";
import { ListCache } from "../keys/list_cache.ts";
import { BatchService } from "../keys/batch_service.ts";
import { EnvelopeService } from "../keys/envelope_service.ts";
import { ImportTokens } from "../keys/import_tokens.ts";
import { JwtService } from "../keys/jwt_service.ts";
import { KeyImportService } from "../keys/key_import_service.ts";
import { KeySettingsService } from "../keys/key_settings_service.ts";
import { RotationScheduler } from "../keys/rotation_scheduler.ts";
import { UsageCounters } from "../keys/usage_counters.ts";
import type { WrappingKeyPair } from "../core/import_wrapping.ts";
import { FerroHsmMetrics } from "../metrics/ferrohsm_metrics.ts";
import { commandLine, detectInvocation } from "../cli/invocation.ts";
import { type Logger, printLine } from "../util/logger.ts";
import { loadConfigFiles } from "../config/config_files.ts";
import { PolicyEngine } from "../policy/policy_engine.ts";
import { policyApprovalExecutors, PolicyService } from "../policy/policy_service.ts";
import { PolicyWrites } from "../policy/policy_writes.ts";
import { retentionExecutors } from "../retention/retention_executors.ts";
import { RetentionScheduler } from "../retention/retention_scheduler.ts";
import { RetentionService } from "../retention/retention_service.ts";
import { LiveConfig } from "./live_config.ts";
import {
  auditArchiver,
  checkBundle,
  governanceMetrics,
  openPolicyEngine,
  openReceiptLedger,
  refreshPolicies,
} from "./governance.ts";
import { logKeysetReloadFailure, registerKeysetMetrics } from "./keyset_monitor.ts";
import { connectMetricSources } from "./metrics_sources.ts";
import { type ClusterNode, clusterStrictLimits, startClusterNode } from "./cluster.ts";
import { PostgresAuditStore } from "../storage/postgres/audit_store.ts";
import { startJournal, stopJournal } from "./journal_startup.ts";
import { checkRootKeys, loadRootSecrets, resolveKeyset } from "./root_secrets.ts";
import { EXIT, StartupError } from "./startup_error.ts";
import { openStores, type StoreOverrides, type Stores } from "./stores.ts";
import type { TlsManager } from "./tls/tls_manager.ts";

/** Everything the HTTP layer and the CLI need, wired from a Config. */
export interface Services {
  readonly keys: KeyService;
  readonly crypto: CryptoService;
  readonly approvals: ApprovalService;
  readonly audit: AuditService;
  readonly auditLog: AuditLog;
  readonly loader: KeyLoader;
  readonly listCache: ListCache;
  readonly verifier: JwtVerifier;
  readonly keyring: JwksKeyring;
  readonly selfTest: SelfTestReport;
  /** The metric set served at /metrics. */
  readonly metrics: FerroHsmMetrics;
  /** Authorization and fail-closed audit shared by every surface (API, dashboard, PKCS#11). */
  readonly guard: Guard;
  /** RBAC decisions from the matrix in force (for checks outside a guarded operation). */
  readonly rbac: Pick<RbacPolicy, "allows">;
  /** Policy scripts: management, and the engine the Guard consults. */
  readonly policies: PolicyService;
  readonly policyEngine: PolicyEngine;
  /** Retention: receipts, the attestation key, runs. */
  readonly retention: RetentionService;
  /** The configuration files in force. */
  readonly live: LiveConfig;
  /**
   * Re-reads and checks the configuration files and installs them; when anything fails
   * (a missing or bad signature, a parse error, a bundle script that does not compile)
   * nothing changes and the error is thrown for the caller to report.
   */
  reload(): Promise<void>;
  /** Rate limiters and the concurrency bound (their stats appear in /healthz). */
  readonly limits: HttpLimits;
  /** The opened stores (health probes read them). */
  readonly stores: Stores;
  /** Web dashboard sessions (in memory: a restart signs everyone out). */
  readonly uiSessions: SessionStore;
  /** The audit forwarders (syslog, NATS); their figures appear in /healthz and /metrics. */
  readonly auditSinks: AuditSinks;
  /** The TLS certificate manager (absent without TLS or when the caller gave none). */
  readonly tls: TlsManager | undefined;
  /** Data keys and rewrap. */
  readonly envelope: EnvelopeService;
  /** Batch encrypt, decrypt and sign. */
  readonly batches: BatchService;
  /** JWKS and JWT signing. */
  readonly jwt: JwtService;
  /** BYOK import. */
  readonly imports: KeyImportService;
  /** Tags, rotation period and minimum decryption version (`PATCH /keys/:id`). */
  readonly settings: KeySettingsService;
  /** Usage counters per key version (flushed periodically, and on close). */
  readonly usage: UsageCounters;
  /** The rotation scheduler (the server starts it; tests call `runOnce`). */
  readonly scheduler: RotationScheduler;
  /** This node of a cluster sharing a PostgreSQL database, when the stores are postgres. */
  readonly cluster?: ClusterNode;
  close(): Promise<void>;
}

/** Adapters a caller may supply instead of the configured ones (tests, benchmarks). */
export interface ServiceOverrides extends StoreOverrides {
  /**
   * The clock of key transitions, approvals, import tokens, the rotation scheduler,
   * retention and policy contexts (tests that move time: retention windows, grace periods).
   */
  readonly clock?: () => Date;
  /** Start the hourly retention scheduler (default true). */
  readonly retentionScheduler?: boolean;
  /** The listener's certificate manager (its figures go to /healthz and /metrics). */
  readonly tls?: TlsManager | undefined;
  /** Generates BYOK wrapping keys (default: fresh RSA-3072 pairs). */
  readonly wrappingKeys?: () => Promise<WrappingKeyPair>;
}

/** Builds every service from `config` (no listener). Caller must `close()`. */
export async function buildServices(
  config: ServerConfig,
  log: Logger,
  overrides: ServiceOverrides = {},
): Promise<Services> {
  await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const secrets = await loadRootSecrets(config, log);
  const selfTest = await runSelfTests();
  if (!selfTest.ok) {
    wipe(secrets.master, secrets.hmac);
    const failed = selfTest.results.filter((r) => !r.ok).map((r) => r.name).join(", ");
    throw new StartupError(EXIT.selfTest, `Power-up self-test failed: ${failed}`);
  }
  const auditMacKey = await deriveAuditMacKey(secrets.hmac);
  const rootKeys = await RootKeys.derive(secrets.master, secrets.hmac); // wipes both
  let stores: Awaited<ReturnType<typeof openStores>>;
  try {
    await checkRootKeys(config, rootKeys);
    stores = await openStores(config, overrides);
  } catch (err) {
    auditMacKey.close();
    rootKeys.close();
    throw err;
  }
  const closers: (() => Promise<void>)[] = [];
  try {
    const metrics = new FerroHsmMetrics();
    const counted = governanceMetrics(metrics);
    const forwarding: { sinks?: AuditSinks } = {};
    const auditLog = await AuditLog.open(stores.audit, auditMacKey, {
      anchor: stores.anchor,
      archive: stores.auditArchive,
      onBatch: (size, latencyMs) => {
        metrics.auditBatch(size, latencyMs / 1000);
        forwarding.sinks?.notify();
      },
    });
    const journal = await RecordJournal.load(stores.audit, auditMacKey);
    // A cluster node reconciles by node (startClusterNode), not by start markers.
    const interrupted = stores.postgres === undefined ? journal.interrupted() : [];
    await startJournal(journal, stores, auditLog, { interrupted });
    // Forwarders read committed entries back from the store by seq, off the request path.
    const sinks = await AuditSinks.open({
      specs: config.files.auditSinks,
      dataDir: config.dataDir,
      source: auditLog,
      log,
      hostname: Deno.hostname(),
    });
    forwarding.sinks = sinks;
    closers.push(() => sinks.close());
    const keysetInfo = await resolveKeyset(config);
    const keyring = await JwksKeyring.open(keysetInfo.path, {
      onReloadError: logKeysetReloadFailure(log, keysetInfo.path),
    });
    registerKeysetMetrics(metrics, () => keyring.status());
    const verifier = new JwtVerifier(keyring, {
      ...(config.jwtIssuer === undefined ? {} : { issuer: config.jwtIssuer }),
      ...(config.jwtAudience === undefined ? {} : { audience: config.jwtAudience }),
    });
    const live = new LiveConfig(config.files);
    const { roleRateLimits } = config.files;
    const limits = createHttpLimits(config, roleRateLimits);
    const { sandboxes, engine, gate } = openPolicyEngine(config, log, counted, overrides.clock);
    closers.push(() => sandboxes.close());
    const guard = new Guard(auditLog, live.authorizer, {
      commits: journal,
      policies: gate,
      strict: stores.postgres === undefined || config.postgres === undefined
        ? undefined
        : clusterStrictLimits(stores.postgres, config.postgres.strictRateLimit),
    });
    const sealer = new Sealer(rootKeys);
    const policyWrites = new PolicyWrites({ store: stores.policies, sealer, journal, engine });
    await policyWrites.load(interrupted);
    await checkBundle(engine, config.files.policyBundle);
    policyWrites.setBundle(config.files.policyBundle);
    // Slow synchronous crypto (post-quantum, prehashed ECDSA/RSA) runs in worker threads
    // holding their own copies of the keys, so cheap requests stay fast meanwhile.
    const pool = createOffloadPool();
    closers.push(() => pool.close());
    const loader = new KeyLoader(
      stores.keys,
      sealer,
      config.keyCacheSize,
      (algorithm, material) => offloadKey(pool, algorithm, material),
    );
    const listCache = new ListCache();
    const records = new KeyRecords({ store: stores.keys, sealer, journal });
    const clock = overrides.clock === undefined ? {} : { clock: overrides.clock };
    const transitions = new KeyTransitions({
      store: stores.keys,
      sealer,
      records,
      loader,
      listCache,
      ...clock,
      // New EC, RSA and post-quantum keys are generated in the pool too.
      generate: (algorithm) => generateMaterial(pool, algorithm),
    });
    const { attestation, ledger, close: closeLedger } = await openReceiptLedger(
      config.dataDir,
      sealer,
      stores.postgres,
    );
    closers.push(closeLedger);
    // The retention service needs the approval service, whose executors need it: the
    // executors reach it through this holder, filled right after construction.
    const late: { retention?: RetentionService } = {};
    const retentionDeps = {
      transitions,
      records,
      keys: stores.keys,
      logger: log,
      get retention(): RetentionService {
        if (late.retention === undefined) throw new TypeError("Retention is not wired yet");
        return late.retention;
      },
    };
    const approvals = new ApprovalService({
      store: stores.approvals,
      guard,
      sealer,
      journal,
      policy: live.approvalRules,
      ...clock,
      executors: {
        ...keyApprovalExecutors(transitions),
        ...retentionExecutors(retentionDeps),
        ...policyApprovalExecutors(policyWrites),
      },
    });
    const retention = new RetentionService({
      keys: stores.keys,
      records,
      transitions,
      approvals,
      guard,
      ledger,
      attestation,
      classes: live.retention,
      onPurged: (keyId) => loader.invalidate(keyId),
      archiveAudit: auditArchiver(stores, auditLog, journal, auditMacKey),
      logger: log,
      ...clock,
    });
    late.retention = retention;
    const policies = new PolicyService({
      guard,
      approvals,
      writes: policyWrites,
      store: stores.policies,
      engine,
      timeZone: config.policyTimeZone,
    });
    const usage = new UsageCounters(stores.usage, { log });
    usage.start();
    closers.push(() => usage.stop());
    const keys = new KeyService({
      store: stores.keys,
      sealer,
      records,
      transitions,
      approvals,
      guard,
      listCache,
      retentionClasses: { has: (name) => live.retention().has(name) },
      usage,
    });
    const onOperation = (algorithm: string, operation: string, result: string) =>
      metrics.cryptoOp(algorithm, operation, result);
    const cryptoService = new CryptoService({ records, loader, guard, onOperation, usage });
    const keyUse = { records, loader, guard, usage, onOperation };
    const importTokens = new ImportTokens({
      sealer,
      ...(overrides.wrappingKeys === undefined ? {} : { generate: overrides.wrappingKeys }),
      ...clock,
    });
    closers.push(() => importTokens.close());
    const scheduler = new RotationScheduler({
      store: stores.keys,
      records,
      rotate: (actor, id) => keys.rotate(actor, id),
      approvals: stores.approvals,
      log,
      ...clock,
    });

    const audit = new AuditService({
      store: stores.audit,
      guard,
      macKey: auditMacKey,
      anchor: stores.anchor,
      records: { keys: stores.keys, approvals: stores.approvals },
      archive: stores.auditArchive,
    });
    const uiSessions = new SessionStore({
      ttlMs: config.uiSessionTtl * 1000,
      idleMs: config.uiIdleTimeout * 1000,
    });
    let cluster: ClusterNode | undefined;
    if (stores.postgres !== undefined && stores.audit instanceof PostgresAuditStore) {
      const timeoutMs = (config.postgres?.nodeTimeout ?? 15) * 1000;
      cluster = await startClusterNode({
        database: stores.postgres,
        audit: stores.audit,
        keys: stores.keys,
        approvals: stores.approvals,
        policies: stores.policies,
        journal,
        auditLog,
        records,
        loader,
        listCache,
        keyring,
        limits,
        log,
        onPolicyChange: () => refreshPolicies(policyWrites, log),
      }, {
        heartbeatMs: Math.max(200, timeoutMs / 5),
        deadAfterMs: timeoutMs,
        inFlightMs: (timeoutMs * 2) / 3,
      });
      const node = cluster;
      closers.push(() => node.close());
    }
    connectMetricSources(metrics, {
      audit,
      uiSessions,
      records,
      loader,
      listCache,
      verifier,
      auditLog,
      approvals,
      selfTest,
      limits,
      auditSinks: sinks,
      tls: overrides.tls,
    });

    const retentionScheduler = new RetentionScheduler(() => retention.run(), { logger: log });
    if (overrides.retentionScheduler !== false) retentionScheduler.start();

    if (keysetInfo.devToken !== undefined) {
      printLine("WARNING: --dev mode: generated secrets and keyset; do not use in production");
      printLine(`Administrator token (valid 5 minutes): ${keysetInfo.devToken}`);
      const mint = commandLine(detectInvocation().cli, [
        "token",
        "mint",
        "--keyset",
        keysetInfo.path,
      ]);
      printLine(`Mint more: ${mint} --sub NAME --roles Administrator`);
    }
    return {
      guard,
      keys,
      crypto: cryptoService,
      approvals,
      audit,
      auditLog,
      loader,
      listCache,
      verifier,
      keyring,
      selfTest,
      metrics,
      rbac: live.authorizer,
      limits,
      stores,
      policies,
      policyEngine: engine,
      retention,
      live,
      async reload() {
        try {
          const files = await loadConfigFiles(config);
          await checkBundle(engine, files.policyBundle);
          live.replace(files);
          policyWrites.setBundle(files.policyBundle);
        } catch (err) {
          counted.configReloads.inc({ result: "refused" });
          throw err;
        }
        counted.configReloads.inc({ result: "ok" });
      },
      uiSessions,
      auditSinks: sinks,
      tls: overrides.tls,
      envelope: new EnvelopeService(keyUse),
      batches: new BatchService(keyUse),
      jwt: new JwtService({ ...keyUse, store: stores.keys }),
      imports: new KeyImportService({
        guard,
        sealer,
        transitions,
        tokens: importTokens,
        approvals,
        records,
      }),
      settings: new KeySettingsService({ guard, transitions }),
      usage,
      scheduler,
      ...(cluster === undefined ? {} : { cluster }),
      async close() {
        await retentionScheduler.stop();
        await scheduler.stop();
        await stopJournal(auditLog).catch(() => undefined);
        await auditLog.close();
        loader.clear();
        for (const close of closers) await close();
        await stores.close();
        auditMacKey.close(); // wipes the derived audit MAC key
        rootKeys.close(); // and the seal and record MAC keys
      },
    };
  } catch (err) {
    for (const close of closers) await close().catch(() => undefined);
    await stores.close();
    auditMacKey.close();
    rootKeys.close();
    throw err;
  }
}
