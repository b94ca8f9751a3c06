/**
 * The composition of governance for `buildServices`: the policy sandbox pool, engine and
 * the Guard's gate; the check that bundle scripts compile; reloading policies another
 * cluster node changed; the retention attestation key and receipt ledger; the audit
 * archiver retention runs; and their metrics.
 */

import { join } from "node:path";
import { archiveAudit } from "../audit/audit_archive.ts";
import type { AuditLog } from "../audit/audit_log.ts";
import type { MacKey } from "../audit/chain.ts";
import type { RecordJournal } from "../audit/record_journal.ts";
import type { ServerConfig } from "../config/config_files.ts";
import type { Sealer } from "../core/sealing.ts";
import type { RecordRef } from "../domain/audit_entry.ts";
import { policyJournalRecord } from "../domain/policies.ts";
import type { FerroHsmMetrics } from "../metrics/ferrohsm_metrics.ts";
import { EnginePolicyGate } from "../policy/policy_gate.ts";
import { PolicyEngine } from "../policy/policy_engine.ts";
import type { PolicyRecord } from "../policy/policy_types.ts";
import type { PolicyWrites } from "../policy/policy_writes.ts";
import { SandboxPool } from "../policy/sandbox_pool.ts";
import { AttestationKey } from "../retention/attestation.ts";
import { ReceiptLedger } from "../retention/receipt_ledger.ts";
import { FileLedgerStore } from "../storage/file/ledger_store.ts";
import type { Logger } from "../util/logger.ts";
import type { PostgresDatabase } from "../storage/postgres/database.ts";
import { PostgresLedgerStore } from "../storage/postgres/ledger_store.ts";
import { PostgresServiceKeys } from "../storage/postgres/service_keys.ts";
import type { LedgerStore } from "../storage/ports.ts";
import { attestationKeyFile, attestationKeyRow } from "./attestation_file.ts";
import { EXIT, StartupError } from "./startup_error.ts";
import type { Stores } from "./stores.ts";

/** The counters of policy decisions and configuration reloads. */
export interface GovernanceMetrics {
  readonly policyDecisions: { inc(labels: { outcome: string }): void };
  readonly configReloads: { inc(labels: { result: string }): void };
}

/** Registers the governance metrics in FerroHSM's registry. */
export function governanceMetrics(metrics: FerroHsmMetrics): GovernanceMetrics {
  return {
    policyDecisions: metrics.registry.counter({
      name: "ferrohsm_policy_decisions_total",
      help: "Requests a policy script decided, by outcome (allow, or the deny cause)",
      labelNames: ["outcome"],
    }),
    configReloads: metrics.registry.counter({
      name: "ferrohsm_config_reloads_total",
      help: "Configuration reloads, by result (ok, refused)",
      labelNames: ["result"],
    }),
  };
}

/** The policy engine over a lazily started sandbox pool, and the Guard's gate over it. */
export function openPolicyEngine(
  config: ServerConfig,
  log: Logger,
  counted: GovernanceMetrics,
  clock?: () => Date,
): {
  readonly sandboxes: SandboxPool;
  readonly engine: PolicyEngine;
  readonly gate: EnginePolicyGate;
} {
  const sandboxes = new SandboxPool({ deadlineMs: config.policyDeadlineMs, logger: log });
  const engine = new PolicyEngine(sandboxes);
  const gate = new EnginePolicyGate(engine, {
    timeZone: config.policyTimeZone,
    logger: log,
    onDecision: (outcome) => counted.policyDecisions.inc({ outcome }),
    ...(clock === undefined ? {} : { clock }),
  });
  return { sandboxes, engine, gate };
}

/**
 * Reloads the stored policies after another node changed them (the cluster's change
 * feed); a refusal keeps the policies held and is logged (the next change retries).
 */
export function refreshPolicies(writes: PolicyWrites, log: Logger): void {
  writes.refresh().catch((err) => {
    log.log("warn", "policies changed on another node could not be loaded yet", {
      error: err instanceof Error ? err.message : String(err),
    });
  });
}

/**
 * Compiles every bundle script in the sandbox.
 * @throws StartupError (exit 2) naming the first policy that does not compile
 */
export async function checkBundle(
  engine: PolicyEngine,
  bundle: readonly PolicyRecord[],
): Promise<void> {
  for (const policy of bundle) {
    try {
      await engine.validate(policy.script);
    } catch (err) {
      throw new StartupError(
        EXIT.usage,
        `Invalid policy bundle: ${policy.id}: ${err instanceof Error ? err.message : err}`,
      );
    }
  }
}

/**
 * The attestation key (generated and sealed at the first start) and the verified receipt
 * ledger: in the data dir, or, on PostgreSQL, shared by every node of the cluster (one
 * key, one chain of receipts); `close` releases both.
 */
export async function openReceiptLedger(
  dataDir: string,
  sealer: Sealer,
  postgres?: PostgresDatabase,
): Promise<
  { readonly attestation: AttestationKey; readonly ledger: ReceiptLedger; close(): Promise<void> }
> {
  const attestation = await AttestationKey.open(
    sealer,
    postgres === undefined
      ? attestationKeyFile(dataDir)
      : attestationKeyRow(new PostgresServiceKeys(postgres)),
  );
  const store: LedgerStore = postgres === undefined
    ? await FileLedgerStore.open(join(dataDir, "retention-ledger.log"))
    : new PostgresLedgerStore(postgres);
  try {
    const ledger = await ReceiptLedger.open(store, attestation);
    return {
      attestation,
      ledger,
      async close() {
        await store.close();
        attestation.dispose();
      },
    };
  } catch (err) {
    await store.close();
    attestation.dispose();
    throw err;
  }
}

/** The archiver retention runs: moves audit entries older than a time to the archive. */
export function auditArchiver(
  stores: Stores,
  log: AuditLog,
  journal: RecordJournal,
  macKey: MacKey,
): (olderThan: Date) => Promise<number> {
  return (olderThan) =>
    archiveAudit({
      store: stores.audit,
      archive: stores.auditArchive,
      log,
      journal,
      macKey,
      stored: (ref) => storedRecord(stores, ref),
    }, olderThan);
}

/** The stored record a journal ref names (its revision and MAC), for audit checkpoints. */
async function storedRecord(
  stores: Stores,
  ref: RecordRef,
): Promise<{ revision: number; mac: string } | undefined> {
  if (ref.kind === "key") return await stores.keys.get(ref.id);
  if (ref.kind === "approval") return await stores.approvals.get(ref.id);
  const policy = await stores.policies.latest(ref.id);
  return policy === undefined ? undefined : policyJournalRecord(policy);
}
