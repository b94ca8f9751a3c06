/**
 * Verification of the records against the chain: after the chain itself verifies, every
 * stored key record and approval must be the revision the chain last committed for it
 * (see `record_journal.ts`). Used online (`/audit/verify`) and offline (`ferrohsm audit
 * verify`). A record older than its last commit is `record_rollback`; a record the chain
 * never committed is `record_unjournaled`; `first_bad_seq` is the entry that committed
 * the expected revision (0 when none did).
 */

import type { AnchorStore, ApprovalStore, AuditStore, KeyStore } from "../storage/ports.ts";
import type { MacKey } from "./chain.ts";
import type { RecordRef } from "../domain/audit_entry.ts";
import { type JournalMismatch, RecordJournal, refOf } from "./record_journal.ts";
import { type VerifyProgressOptions, type VerifyResult, verifyStore } from "./verify.ts";

/** The stores whose records are checked against the journal. */
export interface JournaledStores {
  readonly keys?: KeyStore | undefined;
  readonly approvals?: ApprovalStore | undefined;
}

/** Options of `verifyStoreAndRecords`. */
export interface VerifyAllOptions extends VerifyProgressOptions {
  readonly anchor?: AnchorStore | undefined;
  readonly records?: JournaledStores | undefined;
}

const PAGE = 500;

/**
 * Verifies the chain (and anchor) and rebuilds the record journal from it, accepting
 * writes cut short by a crash at their previous revision, as start-up does.
 */
export async function verifyChainJournal(
  store: AuditStore,
  macKey: MacKey,
  options: VerifyAllOptions = {},
): Promise<{ readonly result: VerifyResult; readonly journal: RecordJournal }> {
  const journal = new RecordJournal();
  const result = await verifyStore(store, macKey, options.anchor, {
    archive: options.archive,
    onProgress: options.onProgress,
    onEntry: (entry) => journal.observe(entry),
  });
  for (const ref of journal.interrupted()) journal.unsettle(ref);
  return { result, journal };
}

/** Verifies the chain (and anchor), then the stores' records against it. */
export async function verifyStoreAndRecords(
  store: AuditStore,
  macKey: MacKey,
  options: VerifyAllOptions = {},
): Promise<VerifyResult> {
  const { result, journal } = await verifyChainJournal(store, macKey, options);
  if (!result.valid || options.records === undefined || !journal.started) return result;
  const mismatch = await firstMismatch(journal, options.records);
  if (mismatch === undefined) return result;
  return { valid: false, first_bad_seq: mismatch.seq, reason: mismatch.reason };
}

/** Every stored record that contradicts `journal`, with the ref it would need. */
export async function* mismatches(
  journal: RecordJournal,
  stores: JournaledStores,
): AsyncGenerator<{ readonly problem: JournalMismatch; readonly ref: RecordRef }> {
  if (stores.keys !== undefined) {
    for (let offset = 0;; offset += PAGE) {
      const page = await stores.keys.list({ offset, limit: PAGE });
      for (const record of page.items) {
        const problem = journal.mismatch("key", record);
        if (problem !== undefined) yield { problem, ref: refOf("key", record) };
      }
      if (page.items.length < PAGE) break;
    }
  }
  if (stores.approvals !== undefined) {
    const now = new Date().toISOString();
    for (let offset = 0;; offset += PAGE) {
      const page = await stores.approvals.list({ now, offset, limit: PAGE });
      for (const record of page.items) {
        const problem = journal.mismatch("approval", record);
        if (problem !== undefined) yield { problem, ref: refOf("approval", record) };
      }
      if (page.items.length < PAGE) break;
    }
  }
}

async function firstMismatch(
  journal: RecordJournal,
  stores: JournaledStores,
): Promise<JournalMismatch | undefined> {
  for await (const { problem } of mismatches(journal, stores)) return problem;
  return undefined;
}
