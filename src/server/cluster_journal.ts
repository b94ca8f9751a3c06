/**
 * Reconciles the writes a dead cluster node left half done. A node commits a record
 * revision in the audit log before writing it to the store; if it died in between, the
 * store still holds the previous revision, which every node would then refuse as rolled
 * back. The node that claims the dead node's registration (or the node itself when it
 * restarts under the same id) reads the entries that node appended since it registered
 * and, for each record whose last committed revision is one of them while the store
 * still holds the one before, appends `journal.reconcile` with result
 * `failed:interrupted`: the chain itself then says the write did not happen, and every
 * node accepts the stored revision again.
 */

import type { AuditLog } from "../audit/audit_log.ts";
import { recordDigest, type RecordJournal } from "../audit/record_journal.ts";
import { parseRecordRefs, type RecordRef } from "../domain/audit_entry.ts";
import type { AuditEntry } from "../domain/audit_entry.ts";
import type { DeadNode } from "../storage/postgres/node_registry.ts";
import type { ApprovalStore, KeyStore, PolicyStore } from "../storage/ports.ts";

const ACTOR = "system";

/** What reconciliation reads and writes. */
export interface ReconcileDeps {
  /** The entries with records a node appended after a seq (PostgresAuditStore.entriesOf). */
  readonly entriesOf: (node: string, afterSeq: number) => AsyncIterable<AuditEntry>;
  readonly journal: RecordJournal;
  readonly keys: KeyStore;
  readonly approvals: ApprovalStore;
  /** The policy store (policy writes are journaled too). */
  readonly policies?: PolicyStore | undefined;
  readonly auditLog: AuditLog;
}

/** Reconciles `dead`'s interrupted writes; returns the refs it marked as failed. */
export async function reconcileDeadNode(
  dead: DeadNode,
  deps: ReconcileDeps,
): Promise<RecordRef[]> {
  await deps.journal.catchUp();
  // The last ref per record among the dead node's commits.
  const last = new Map<string, RecordRef>();
  for await (const entry of deps.entriesOf(dead.nodeId, dead.startSeq)) {
    if (entry.result !== "ok" || entry.records === undefined) continue;
    for (const ref of parseRecordRefs(entry.records) ?? []) last.set(`${ref.kind}:${ref.id}`, ref);
  }
  const failed: RecordRef[] = [];
  for (const ref of last.values()) {
    if (deps.journal.latest(ref.kind, ref.id)?.digest !== ref.digest) continue;
    // Already reconciled, or failed on the chain.
    if (deps.journal.isUnsettled(ref) || deps.journal.creationFailed(ref)) continue;
    const stored = ref.kind === "key"
      ? await deps.keys.get(ref.id)
      : ref.kind === "approval"
      ? await deps.approvals.get(ref.id)
      : await deps.policies?.latest(ref.id);
    if (ref.kind === "policy" && deps.policies === undefined) continue;
    // A policy is checked for presence: a creation that never reached the store is put on
    // the chain as failed, like a write that left the previous revision.
    const lostCreation = stored === undefined && ref.kind === "policy" && ref.revision === 1;
    if (!lostCreation) {
      if (stored === undefined) continue;
      const digest = recordDigest(stored.mac);
      if (digest === ref.digest || digest !== deps.journal.previousDigest(ref)) continue;
    }
    await deps.auditLog.append({
      actor: ACTOR,
      action: "journal.reconcile",
      keyId: ref.kind === "key" ? ref.id : null,
      result: "failed:interrupted",
      payload: { node: dead.nodeId },
      records: [ref],
    });
    deps.journal.unsettle(ref);
    failed.push(ref);
  }
  return failed;
}
