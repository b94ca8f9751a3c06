/**
 * Audit chain verification over any store's `scan()`, used online (`/audit/verify`) and
 * offline (`ferrohsm audit verify`, see `src/server/audit_files.ts`). Detects edited entries (MAC
 * mismatch), deleted or reordered entries (seq gap / out of order), authentic entries
 * spliced from another chain (prev_hash mismatch) and, given the anchor, truncation.
 *
 * Security caveats: verification needs the HMAC key, so it proves integrity to whoever
 * holds that key, not to third parties. Without an anchor a truncated tail is
 * undetectable; with one, an older anchor replayed together with a truncated log is
 * still undetectable (see anchor.ts).
 */

import { isHsmError } from "../domain/errors.ts";
import type { AuditStore } from "../storage/ports.ts";
import type { AuditEntry, VerifyFailureReason } from "../domain/audit_entry.ts";
import { verifyAnchor } from "./anchor.ts";
import { type AnchorRecord } from "../domain/audit_entry.ts";
import { type AnchorStore } from "../storage/ports.ts";
import { entryHash, GENESIS_HASH, type MacKey, verifyMac } from "./chain.ts";
import { type AuditBase, parseAuditEntry } from "../domain/audit_entry.ts";
import type { AuditArchiveStore } from "../storage/ports.ts";
import { verifyBase } from "./audit_base.ts";

/** The contract's verification result (`GET /api/v1/audit/verify`). */
export type VerifyResult =
  | { readonly valid: true; readonly entries: number; readonly head: string }
  | { readonly valid: false; readonly first_bad_seq: number; readonly reason: VerifyFailureReason };

/** Options of `verifyChain` and `verifyStore`. */
export interface VerifyProgressOptions {
  /**
   * The log's archive: its segments (named by the MAC'd base) are verified first, then
   * the live log, as one chain from seq 1 (see `audit_archive.ts`).
   */
  readonly archive?: AuditArchiveStore | undefined;
  /** Called with the number of entries checked so far, every PROGRESS_INTERVAL entries. */
  readonly onProgress?: ((entries: number) => void) | undefined;
  /** Called with each entry once it verified (e.g. to rebuild the record journal). */
  readonly onEntry?: ((entry: AuditEntry) => void) | undefined;
}

/** How many entries pass between two `onProgress` calls. */
export const PROGRESS_INTERVAL = 1000;

/**
 * Verifies a chain read in stored order: seqs consecutive from 1, each MAC valid, each
 * prev_hash the previous entry's hash, and (given an anchor) the log reaching the
 * anchor with the anchored hash. A store that throws HsmError("integrity_error")
 * while iterating (an unparseable line) yields "malformed_entry"; other errors
 * propagate. `onProgress` is called every PROGRESS_INTERVAL verified entries.
 */
export async function verifyChain(
  entries: AsyncIterable<AuditEntry> | Iterable<AuditEntry>,
  macKey: MacKey,
  anchor?: AnchorRecord,
  options: VerifyProgressOptions = {},
): Promise<VerifyResult> {
  // A forged anchor is reported only once the chain itself checks out.
  const trusted = anchor !== undefined && verifyAnchor(macKey, anchor) ? anchor : undefined;
  let lastSeq = 0;
  let head = GENESIS_HASH;
  try {
    for await (const raw of entries) {
      const expected = lastSeq + 1;
      const entry = parseAuditEntry(raw);
      if (entry === undefined) return fail(expected, "malformed_entry");
      if (entry.seq > expected) return fail(expected, "sequence_gap");
      if (entry.seq < expected) return fail(expected, "out_of_order");
      if (!verifyMac(macKey, entry)) return fail(entry.seq, "mac_mismatch");
      if (entry.prev_hash !== head) return fail(entry.seq, "chain_broken");
      head = entryHash(entry);
      lastSeq = entry.seq;
      options.onEntry?.(entry);
      if (lastSeq % PROGRESS_INTERVAL === 0) options.onProgress?.(lastSeq);
      if (trusted !== undefined && entry.seq === trusted.seq && head !== trusted.hash) {
        return fail(entry.seq, "anchor_mismatch");
      }
    }
  } catch (err) {
    if (isHsmError(err, "integrity_error")) return fail(lastSeq + 1, "malformed_entry");
    throw err;
  }
  if (anchor !== undefined && trusted === undefined) return fail(0, "anchor_invalid");
  if (trusted !== undefined) {
    if (lastSeq < trusted.seq) return fail(lastSeq + 1, "truncated");
    if (trusted.seq === 0 && trusted.hash !== GENESIS_HASH) return fail(0, "anchor_mismatch");
  }
  return { valid: true, entries: lastSeq, head };
}

/**
 * Verifies a store against the anchor kept in `anchors` (read before the scan starts,
 * so a live log is never shorter than it). An unreadable anchor is reported as
 * "anchor_invalid", and a missing anchor next to a non-empty log as "anchor_missing"
 * (first_bad_seq 0), only when the chain itself is intact.
 */
export async function verifyStore(
  store: AuditStore,
  macKey: MacKey,
  anchors?: AnchorStore,
  options: VerifyProgressOptions = {},
): Promise<VerifyResult> {
  let anchor: AnchorRecord | undefined;
  let unreadable = false;
  try {
    anchor = await anchors?.read();
  } catch (err) {
    if (!isHsmError(err, "integrity_error")) throw err;
    unreadable = true;
  }
  let result: VerifyResult;
  if (options.archive === undefined) {
    result = await verifyChain(store.scan(), macKey, anchor, options);
  } else {
    let base: AuditBase | undefined;
    try {
      base = await options.archive.readBase();
    } catch (err) {
      if (!isHsmError(err, "integrity_error")) throw err;
      return fail(0, "archive_mismatch");
    }
    if (base !== undefined && !verifyBase(macKey, base)) return fail(0, "archive_mismatch");
    try {
      const entries = base === undefined ? store.scan() : withArchive(base, options.archive, store);
      result = await verifyChain(entries, macKey, anchor, options);
    } catch (err) {
      if (err instanceof ArchiveProblem) return fail(err.seq, err.reason);
      throw err;
    }
  }
  if (!result.valid) return result;
  if (unreadable) return fail(0, "anchor_invalid");
  // A log without its anchor may have lost its tail together with the anchor.
  if (anchors !== undefined && anchor === undefined && result.entries > 0) {
    return fail(0, "anchor_missing");
  }
  return result;
}

/** Thrown out of the chained iterator to report an archive problem at `seq`. */
class ArchiveProblem extends Error {
  constructor(readonly seq: number, readonly reason: "archive_missing" | "archive_mismatch") {
    super(reason);
  }
}

/**
 * The archived segments the base names, then the live entries after the base: one
 * chain. Live entries at or before the base (a drop cut short) are skipped.
 */
async function* withArchive(
  base: AuditBase,
  archive: AuditArchiveStore,
  store: AuditStore,
): AsyncGenerator<AuditEntry> {
  let last: AuditEntry | undefined;
  for (const segment of base.segments) {
    try {
      for await (const entry of archive.readSegment(segment)) {
        last = entry;
        yield entry;
      }
    } catch (err) {
      if (isHsmError(err, "not_found")) {
        throw new ArchiveProblem((last?.seq ?? 0) + 1, "archive_missing");
      }
      throw err;
    }
  }
  if (last === undefined || last.seq !== base.seq || entryHash(last) !== base.hash) {
    throw new ArchiveProblem(base.seq, "archive_mismatch");
  }
  for await (const entry of store.scan()) {
    if (entry.seq > base.seq) yield entry;
  }
}

function fail(first_bad_seq: number, reason: VerifyFailureReason): VerifyResult {
  return { valid: false, first_bad_seq, reason };
}
