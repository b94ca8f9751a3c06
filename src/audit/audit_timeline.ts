/**
 * The audit log newest first, for people reading it: pages of entries before a given
 * `seq`, optionally filtered by actor, action (exact or a dotted prefix such as `key`
 * for `key.rotate`) or key. The store only lists forwards, so the log is read backwards
 * in windows; a page reads at most `maxScan` entries, so a filter that matches rarely
 * answers a short page with a cursor to go on from rather than a scan of the whole log.
 */

import type { AuditEntry } from "../domain/audit_entry.ts";
import type { AuditStore } from "../storage/ports.ts";

/** What to read. */
export interface TimelineQuery {
  /** Only entries with a lower seq (default: from the newest). */
  readonly beforeSeq?: number;
  /** Most entries answered (1..1000). */
  readonly limit: number;
  readonly actor?: string;
  /** An action name, or a dotted prefix of one. */
  readonly action?: string;
  readonly keyId?: string;
}

/** One page, newest first. */
export interface TimelinePage {
  readonly entries: AuditEntry[];
  /** Where the next page starts (`beforeSeq`), or undefined when the log is exhausted. */
  readonly nextBeforeSeq: number | undefined;
  /** Entries read to answer (matching or not). */
  readonly scanned: number;
}

/** Bounds of one timeline read. */
export interface TimelineOptions {
  /** Entries read per store call (default 500). */
  readonly window?: number;
  /** Most entries read for one page (default 5000). */
  readonly maxScan?: number;
}

/**
 * Reads one page of the timeline from `store`.
 * @throws RangeError for a limit outside 1..1000 or a negative `beforeSeq`
 */
export async function readTimeline(
  store: AuditStore,
  query: TimelineQuery,
  options: TimelineOptions = {},
): Promise<TimelinePage> {
  const window = options.window ?? 500;
  const maxScan = options.maxScan ?? 5000;
  if (!Number.isSafeInteger(query.limit) || query.limit < 1 || query.limit > 1000) {
    throw new RangeError("Timeline limit must be an integer from 1 to 1000");
  }
  if (
    query.beforeSeq !== undefined && (!Number.isSafeInteger(query.beforeSeq) || query.beforeSeq < 0)
  ) {
    throw new RangeError("Timeline beforeSeq must be a non-negative integer");
  }
  const top = query.beforeSeq ?? ((await store.last())?.seq ?? 0) + 1;
  const entries: AuditEntry[] = [];
  let scanned = 0;
  let hi = top - 1;
  while (hi >= 1) {
    const lo = Math.max(1, hi - window + 1);
    const batch = await store.list(lo - 1, hi - lo + 1);
    for (let i = batch.length - 1; i >= 0; i--) {
      const entry = batch[i] as AuditEntry;
      if (entry.seq > hi) continue;
      scanned++;
      if (matches(entry, query)) entries.push(entry);
      if (entries.length === query.limit || scanned >= maxScan) {
        return { entries, nextBeforeSeq: entry.seq > 1 ? entry.seq : undefined, scanned };
      }
    }
    hi = lo - 1;
  }
  return { entries, nextBeforeSeq: undefined, scanned };
}

function matches(entry: AuditEntry, query: TimelineQuery): boolean {
  if (query.actor !== undefined && entry.actor !== query.actor) return false;
  if (query.keyId !== undefined && entry.key_id !== query.keyId) return false;
  if (query.action !== undefined) {
    return entry.action === query.action || entry.action.startsWith(`${query.action}.`);
  }
  return true;
}
