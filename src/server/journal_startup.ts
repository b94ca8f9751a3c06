/**
 * Brings the record journal up to date at start-up, before anything is served:
 *
 * - writes that the previous process committed in the audit log but may not have reached
 *   the store before it stopped without its `server.stop` marker (a crash) are checked
 *   against the stores; a record still at its previous revision (or a policy whose
 *   creation never reached the store) gets a `journal.reconcile` entry with result
 *   `failed:interrupted`, so the chain itself says the write did not happen (anything
 *   else is left for the integrity check to refuse);
 * - a data dir from before the journal gets `journal.baseline` entries committing every
 *   record as it is now;
 * - a `server.start` marker is appended (its `server.stop` twin is written by a clean
 *   shutdown).
 */

import type { AuditLog } from "../audit/audit_log.ts";
import {
  recordDigest,
  type RecordJournal,
  refOf,
  SERVER_START,
  SERVER_STOP,
} from "../audit/record_journal.ts";
import type { RecordRef } from "../domain/audit_entry.ts";
import { policyJournalRecord } from "../domain/policies.ts";
import type { Stores } from "./stores.ts";

const ACTOR = "system";
const REFS_PER_BASELINE_ENTRY = 64;

/** Options of `startJournal`. */
export interface StartJournalOptions {
  /**
   * The refs that may have been interrupted, instead of those after the last start marker
   * (a cluster node: markers of several nodes interleave in a shared log, so it finds the
   * writes its previous process left half done by node instead; see cluster_journal.ts).
   */
  readonly interrupted?: readonly RecordRef[];
}

/** Reconciles interrupted writes, baselines an old data dir, and marks the start. */
export async function startJournal(
  journal: RecordJournal,
  stores: Stores,
  auditLog: AuditLog,
  options: StartJournalOptions = {},
): Promise<void> {
  for (const ref of options.interrupted ?? journal.interrupted()) {
    const stored = ref.kind === "key"
      ? await stores.keys.get(ref.id)
      : ref.kind === "approval"
      ? await stores.approvals.get(ref.id)
      : await stores.policies.latest(ref.id);
    const digest = stored === undefined ? undefined : recordDigest(stored.mac);
    // A policy is checked for presence at load: a creation cut short is put on the chain.
    const lostCreation = stored === undefined && ref.kind === "policy" && ref.revision === 1;
    if (!lostCreation && (digest === undefined || digest === ref.digest)) continue;
    if (!lostCreation && digest !== journal.previousDigest(ref)) continue;
    await auditLog.append({
      actor: ACTOR,
      action: "journal.reconcile",
      keyId: ref.kind === "key" ? ref.id : null,
      result: "failed:interrupted",
      records: [ref],
    });
    journal.unsettle(ref);
  }
  if (!journal.started) await baseline(journal, stores, auditLog);
  await auditLog.append({ actor: ACTOR, action: SERVER_START, result: "ok" });
}

/** Appends the `server.stop` marker of a clean shutdown. */
export async function stopJournal(auditLog: AuditLog): Promise<void> {
  await auditLog.append({ actor: ACTOR, action: SERVER_STOP, result: "ok" });
}

async function baseline(journal: RecordJournal, stores: Stores, auditLog: AuditLog) {
  let refs: RecordRef[] = [];
  const flush = async () => {
    if (refs.length === 0) return;
    const entry = await auditLog.append({
      actor: ACTOR,
      action: "journal.baseline",
      result: "ok",
      records: refs,
    });
    journal.expect(refs, entry.seq);
    for (const ref of refs) journal.settle(ref);
    refs = [];
  };
  const add = async (ref: RecordRef) => {
    refs.push(ref);
    if (refs.length >= REFS_PER_BASELINE_ENTRY) await flush();
  };
  const page = 500;
  for (let offset = 0;; offset += page) {
    const keys = await stores.keys.list({ offset, limit: page });
    for (const record of keys.items) await add(refOf("key", record));
    if (keys.items.length < page) break;
  }
  const now = new Date().toISOString();
  for (let offset = 0;; offset += page) {
    const approvals = await stores.approvals.list({ now, offset, limit: page });
    for (const record of approvals.items) await add(refOf("approval", record));
    if (approvals.items.length < page) break;
  }
  for (const policy of await stores.policies.list()) {
    await add(refOf("policy", policyJournalRecord(policy)));
  }
  await flush();
}
