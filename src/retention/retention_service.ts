/**
 * Retention: finds key versions past their class's window, opens purge approvals
 * (`key.purge`, requested by the scheduler's actor `[retention]`, decided by people), and
 * once a purge is approved and its grace period has passed (or at once when the class
 * needs no approval) wipes the sealed material for good through the key store, leaving a
 * `purged` stub, and writes one signed destruction receipt per version. Destroyed keys
 * whose class wipes at destruction get their receipts from the destroy executor
 * (`retention_executors.ts`).
 *
 * Every purge is one audit entry (`key.purge.execute`, committed before the first wipe)
 * whose payload names the versions, the approval and its approvers. A run at a time;
 * runs are idempotent (a purged version is never due again). A denied request is not
 * reopened for `REOPEN_AFTER_DENIAL_DAYS`; an expired one is reopened on the next run.
 */

import type { Actor, Guard } from "../access/guard.ts";
import type { ApprovalService } from "../approvals/approval_service.ts";
import { HsmError } from "../domain/errors.ts";
import type { ApprovalRecord, KeyRecord, SealedVersion } from "../domain/records.ts";
import type { KeyRecords } from "../keys/key_records.ts";
import type { KeyTransitions } from "../keys/key_transitions.ts";
import type { KeyStore } from "../storage/ports.ts";
import type { Logger } from "../util/logger.ts";
import type { AttestationKey } from "./attestation.ts";
import type { ReceiptLedger } from "./receipt_ledger.ts";
import { type Receipt, sealedDigest } from "./receipts.ts";
import type { RetentionClass, RetentionClasses } from "./retention_classes.ts";
import { dueVersions } from "./retention_rules.ts";

/** The audit actor of the scheduler (a token subject can never start with `[`). */
export const RETENTION_ACTOR: Actor = Object.freeze({ id: "[retention]", roles: [] });

/** Days before a denied purge is asked for again. */
export const REOPEN_AFTER_DENIAL_DAYS = 30;

const HOUR_MS = 3600 * 1000;
const PAGE = 200;

/** What one run did (the contract's RetentionRunReport, camelCased by the route). */
export interface RetentionReport {
  keys: number;
  opened: { keyId: string; versions: number[]; approvalId: string }[];
  purged: { keyId: string; version: number; receiptSeq: number }[];
  waiting: { keyId: string; versions: number[]; approvalId: string; until?: string }[];
  archivedAuditEntries: number;
}

/** Dependencies of the retention service. */
export interface RetentionServiceOptions {
  readonly keys: KeyStore;
  readonly records: KeyRecords;
  readonly transitions: KeyTransitions;
  readonly approvals: ApprovalService;
  readonly guard: Guard;
  readonly ledger: ReceiptLedger;
  readonly attestation: AttestationKey;
  /** The classes in force (re-read after a configuration reload). */
  readonly classes: () => RetentionClasses;
  /** Told after a key's versions were purged (drop its loaded keys). */
  readonly onPurged?: (keyId: string) => void;
  /** Archives audit entries older than the given time; resolves to how many moved. */
  readonly archiveAudit?: (olderThan: Date) => Promise<number>;
  readonly clock?: () => Date;
  readonly logger?: Logger;
}

/** The retention service. */
export class RetentionService {
  readonly #o: RetentionServiceOptions;
  readonly #clock: () => Date;
  #running: Promise<RetentionReport> | undefined;

  constructor(options: RetentionServiceOptions) {
    this.#o = options;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** The class a key follows. */
  classOf(record: Pick<KeyRecord, "retentionClass">): RetentionClass {
    return this.#o.classes().of(record.retentionClass);
  }

  /** Runs retention now (the scheduler); joins a run in progress. */
  run(): Promise<RetentionReport> {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Runs retention on behalf of an Administrator (`retention:run`). */
  runNow(actor: Actor): Promise<RetentionReport> {
    return this.#o.guard.run({ actor, action: "retention.run" }, async (op) => {
      op.authorize("retention:run");
      return await this.run();
    });
  }

  /** Destruction receipts with seq > afterSeq (`retention:read`). */
  receipts(actor: Actor, afterSeq: number, limit: number): Promise<Receipt[]> {
    const request = {
      actor,
      action: "retention.receipts",
      payload: { after_seq: afterSeq, limit },
    };
    return this.#o.guard.run(request, async (op) => {
      op.authorize("retention:read");
      return await this.#o.ledger.list(afterSeq, limit);
    });
  }

  /** The attestation public key (`retention:read`). */
  attestationKey(actor: Actor): Promise<{ pem: string; jwk: Record<string, unknown> }> {
    return this.#o.guard.run({ actor, action: "retention.attestation_key" }, (op) => {
      op.authorize("retention:read");
      const { pem, jwk } = this.#o.attestation;
      return Promise.resolve({ pem, jwk: { ...jwk } });
    });
  }

  /**
   * Writes the receipts of versions a destruction wiped (the class wipes at destruction).
   * Called by the destroy executor after the store write.
   */
  async recordDestroyed(
    approval: ApprovalRecord,
    record: KeyRecord,
    versions: readonly SealedVersion[],
  ): Promise<Receipt[]> {
    const out: Receipt[] = [];
    for (const v of versions) {
      if (v.purgedAt !== undefined) continue;
      out.push(
        await this.#o.ledger.append({
          ts: this.#clock().toISOString(),
          key_id: record.id,
          version: v.version,
          material_digest: sealedDigest(v),
          approvers: approval.approvals.map((a) => a.actor),
          approval_id: approval.id,
          retention_class: this.classOf(record).name,
          reason: "destroy",
        }),
      );
    }
    return out;
  }

  async #run(): Promise<RetentionReport> {
    const now = this.#clock();
    const report: RetentionReport = {
      keys: 0,
      opened: [],
      purged: [],
      waiting: [],
      archivedAuditEntries: 0,
    };
    for (let offset = 0;; offset += PAGE) {
      const page = await this.#o.keys.list({ offset, limit: PAGE });
      for (const record of page.items) {
        report.keys++;
        try {
          await this.#o.records.verify(record);
          await this.#consider(record, now, report);
        } catch (err) {
          // One bad key must not stop retention for the others; it is retried next run.
          this.#o.logger?.log("error", "Retention skipped a key", {
            key_id: record.id,
            error: err instanceof HsmError ? err.code : err instanceof Error ? err.name : "error",
          });
        }
      }
      if (page.items.length < PAGE) break;
    }
    const archiveDays = this.#o.classes().auditArchiveAfterDays;
    if (archiveDays !== null && this.#o.archiveAudit !== undefined) {
      const cutoff = new Date(now.getTime() - archiveDays * 24 * HOUR_MS);
      report.archivedAuditEntries = await this.#o.archiveAudit(cutoff);
    }
    return report;
  }

  async #consider(record: KeyRecord, now: Date, report: RetentionReport): Promise<void> {
    const rules = this.classOf(record);
    const versions = await this.#o.keys.listVersions(record.id);
    const due = dueVersions(record, versions, rules, now).map((d) => d.version);
    if (due.length === 0) return;
    if (!rules.purgeRequiresApproval) {
      await this.#purge(record.id, due, rules, null, report);
      return;
    }
    const latest = await this.#o.approvals.latestFor("key.purge", record.id);
    let remaining = due;
    if (latest?.state === "pending") {
      report.waiting.push({ keyId: record.id, versions: due, approvalId: latest.id });
      return;
    }
    if (latest?.state === "executed") {
      const approved = approvedVersions(latest).filter((v) => due.includes(v));
      if (approved.length > 0) {
        const until = new Date(approvedAt(latest) + rules.graceHours * HOUR_MS);
        if (now < until) {
          report.waiting.push({
            keyId: record.id,
            versions: approved,
            approvalId: latest.id,
            until: until.toISOString(),
          });
          return;
        }
        await this.#purge(record.id, approved, rules, latest, report);
        remaining = due.filter((v) => !approved.includes(v));
      }
    }
    if (latest?.state === "denied") {
      const reopen = Date.parse(latest.createdAt) + REOPEN_AFTER_DENIAL_DAYS * 24 * HOUR_MS;
      if (now.getTime() < reopen) return;
    }
    if (remaining.length > 0) await this.#request(record, remaining, rules, report);
  }

  async #request(
    record: KeyRecord,
    versions: number[],
    rules: RetentionClass,
    report: RetentionReport,
  ): Promise<void> {
    const params = { versions, retention_class: rules.name };
    const request = {
      actor: RETENTION_ACTOR,
      action: "key.purge.request",
      keyId: record.id,
      payload: params,
    };
    const approval = await this.#o.guard.run(request, (op) => {
      return this.#o.approvals.request(
        RETENTION_ACTOR,
        "key.purge",
        record.id,
        params,
        (refs) => op.commitPoint(refs),
      );
    });
    report.opened.push({ keyId: record.id, versions, approvalId: approval.id });
  }

  async #purge(
    keyId: string,
    versions: number[],
    rules: RetentionClass,
    approval: ApprovalRecord | null,
    report: RetentionReport,
  ): Promise<void> {
    const approvers = approval?.approvals.map((a) => a.actor) ?? [];
    const payload = { versions, approval_id: approval?.id ?? null, approvers };
    const request = { actor: RETENTION_ACTOR, action: "key.purge.execute", keyId, payload };
    await this.#o.guard.run(request, async (op) => {
      await this.#o.transitions.withKey(keyId, async () => {
        await op.commitPoint();
        try {
          for (const version of versions) {
            const sealed = await this.#o.keys.getVersion(keyId, version);
            if (sealed === undefined || sealed.purgedAt !== undefined) continue;
            const digest = sealedDigest(sealed);
            const at = this.#clock().toISOString();
            // Another node may have purged it meanwhile: it wrote the receipt.
            if (!(await this.#o.keys.purgeVersion(keyId, version, at))) continue;
            const receipt = await this.#o.ledger.append({
              ts: at,
              key_id: keyId,
              version,
              material_digest: digest,
              approvers,
              approval_id: approval?.id ?? null,
              retention_class: rules.name,
              reason: "retention",
            });
            report.purged.push({ keyId, version, receiptSeq: receipt.seq });
          }
        } finally {
          this.#o.onPurged?.(keyId);
        }
      });
    });
  }
}

/** The versions an executed purge approval covers. */
function approvedVersions(approval: ApprovalRecord): number[] {
  const versions = approval.params.versions;
  return Array.isArray(versions) ? versions.filter((v) => Number.isSafeInteger(v)) : [];
}

/** When the quorum was reached: the last approver's time. */
function approvedAt(approval: ApprovalRecord): number {
  return Math.max(...approval.approvals.map((a) => Date.parse(a.at)));
}
