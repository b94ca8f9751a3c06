/**
 * Audit log retention: entries older than a window move from the live log to an archive
 * segment, so the live log stays bounded while the whole chain stays verifiable.
 *
 * One archive run, each step durable before the next (a crash between steps leaves a
 * state the next run or verification accepts):
 * 1. the oldest live entries older than the cutoff (at most `maxEntries`) are read and
 *    checked (MACs, links from the current base) — a broken log is never archived;
 * 2. they are written as a new, immutable segment;
 * 3. `journal.checkpoint` entries are appended to the live log, carrying the last
 *    committed ref of every record whose commits are being archived (for a record whose
 *    last write did not settle, the ref of what the store holds), so the record journal
 *    rebuilt from the live log alone stays complete (see `record_journal.ts`);
 * 4. the base — the seq and hash of the last archived entry and the list of segments,
 *    MAC'd with the audit key ("ferrohsm audit base v1") — is replaced;
 * 5. the archived entries are dropped from the live log (a crash before this leaves them
 *    in both places: the next run drops them, verification skips them).
 *
 * Verification (`verifyWithArchive`) reads every segment the base names, then the live
 * log, as one chain from seq 1; a missing segment is `archive_missing`, a base that does
 * not match the archive's end (or fails its MAC) is `archive_mismatch`. The anchor still
 * protects the live log's tail. Caveat: whoever holds the HMAC key can rewrite archive
 * and base together, exactly as for the live log; keep copies of segments elsewhere.
 */

import type { AuditEntry, RecordRef } from "../domain/audit_entry.ts";
import { HsmError } from "../domain/errors.ts";
import type { AuditArchiveStore, AuditStore } from "../storage/ports.ts";
import type { AuditLog } from "./audit_log.ts";
import { entryHash, GENESIS_HASH, type MacKey, verifyMac } from "./chain.ts";
import { JOURNAL_CHECKPOINT, recordDigest, type RecordJournal } from "./record_journal.ts";
import { readVerifiedBase, signBase } from "./audit_base.ts";

const REFS_PER_CHECKPOINT = 64;
const PAGE = 1000;

/** What an archive run needs. */
export interface AuditArchiverOptions {
  readonly store: AuditStore;
  readonly archive: AuditArchiveStore;
  readonly log: AuditLog;
  readonly journal: RecordJournal;
  readonly macKey: MacKey;
  /** The stored record a journaled ref names (its revision and MAC), or undefined. */
  readonly stored: (ref: RecordRef) => Promise<{ revision: number; mac: string } | undefined>;
  /** Most entries moved per run (default 100 000). */
  readonly maxEntries?: number;
}

/**
 * Moves live entries older than `olderThan` to a new segment; resolves to how many.
 * @throws HsmError("integrity_error") when the entries to archive or the base do not verify
 */
export async function archiveAudit(
  options: AuditArchiverOptions,
  olderThan: Date,
): Promise<number> {
  const { store, archive, macKey } = options;
  const base = await readVerifiedBase(archive, macKey);
  if (base !== undefined) await store.dropThrough(base.seq); // finish a run cut short
  const entries = await oldEntries(store, base?.seq ?? 0, olderThan, options.maxEntries ?? 100_000);
  const last = entries[entries.length - 1];
  if (last === undefined) return 0;
  let prev = base?.hash ?? GENESIS_HASH;
  let expected = (base?.seq ?? 0) + 1;
  for (const entry of entries) {
    if (entry.seq !== expected || entry.prev_hash !== prev || !(await verifyMac(macKey, entry))) {
      throw new HsmError(
        "integrity_error",
        `Cannot archive the audit log: entry ${entry.seq} fails verification`,
      );
    }
    prev = entryHash(entry);
    expected++;
  }
  const segment = await archive.writeSegment(entries);
  await checkpoint(options, last.seq, segment);
  const next = signBase(macKey, last.seq, prev, [...(base?.segments ?? []), segment]);
  await archive.writeBase(next);
  await store.dropThrough(last.seq);
  return entries.length;
}

/** Live entries after `after` whose time is before `olderThan`, oldest first. */
async function oldEntries(
  store: AuditStore,
  after: number,
  olderThan: Date,
  max: number,
): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  const head = (await store.last())?.seq ?? 0;
  for (let cursor = after; out.length < max;) {
    const page = await store.list(cursor, Math.min(PAGE, max - out.length));
    for (const entry of page) {
      // The newest entry stays live: the anchor and the log's head must be readable.
      if (entry.seq >= head || Date.parse(entry.ts) >= olderThan.getTime()) return out;
      out.push(entry);
    }
    if (page.length === 0) return out;
    cursor = (page[page.length - 1] as AuditEntry).seq;
  }
  return out;
}

/** Appends the journal checkpoint for entries through `seq`. */
async function checkpoint(options: AuditArchiverOptions, seq: number, segment: string) {
  const refs: RecordRef[] = [];
  for (const head of options.journal.headsThrough(seq)) {
    if (head.accepted.length <= 1) {
      refs.push(head.ref);
      continue;
    }
    // The last write may not have reached the store: carry what the store holds.
    const stored = await options.stored(head.ref);
    const digest = stored === undefined ? undefined : recordDigest(stored.mac);
    refs.push(
      stored !== undefined && digest !== undefined && head.accepted.includes(digest)
        ? { ...head.ref, revision: stored.revision, digest }
        : head.ref,
    );
  }
  const payload = { archived_through: seq, segment };
  if (refs.length === 0) {
    await options.log.append({
      actor: "system",
      action: JOURNAL_CHECKPOINT,
      result: "ok",
      payload,
    });
  }
  for (let i = 0; i < refs.length; i += REFS_PER_CHECKPOINT) {
    await options.log.append({
      actor: "system",
      action: JOURNAL_CHECKPOINT,
      result: "ok",
      payload,
      records: refs.slice(i, i + REFS_PER_CHECKPOINT),
    });
  }
}
