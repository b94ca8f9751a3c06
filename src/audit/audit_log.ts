/**
 * The audit log service: builds hash-chained, MAC'd entries and writes them with group
 * commit. Appends arriving while a batch is being written queue up and become the next
 * batch (one store write, so one fsync or transaction, per batch). Entries get seq,
 * prev_hash and mac in call order and one timestamp per batch; `append` resolves only
 * once its entry is durable. Callers are fail-closed: no entry, no operation.
 *
 * When a store write fails, every entry of that batch rejects with
 * HsmError("audit_unavailable"), the head stays at the last durable entry (the failed
 * seqs are reused) and the next append retries the store.
 *
 * `open` checks the head before chaining onto it: the last entry's MAC must verify, and
 * with an anchor store the log must reach the anchor with the anchored hash; otherwise
 * it refuses with HsmError("integrity_error") rather than extend, and so hide, a
 * tampered or truncated log. Entries before the head are checked only by `verify()`.
 * After each durable batch the anchor is rewritten in the background (latest head
 * wins); a failed anchor write is counted, not fatal, since a lagging anchor is harmless.
 *
 * A store shared by several writers (nodes) offers `appendChained`: then each batch is
 * chained after the head stored in the database, read and locked inside the batch's
 * transaction (its anchor MAC checked first), and the new head with its anchor MAC is
 * stored in that same transaction, so the chain stays one gap-free sequence across
 * nodes and the anchor never lags; `head()` is then this process's last view of it.
 */

import { HsmError } from "../domain/errors.ts";
import type { AuditStore } from "../storage/ports.ts";
import type { AuditEntry } from "../domain/audit_entry.ts";
import { signAnchor, verifyAnchor } from "./anchor.ts";
import { type AnchorRecord } from "../domain/audit_entry.ts";
import { type AnchorStore, type AuditArchiveStore } from "../storage/ports.ts";
import {
  type AuditFields,
  entryHash,
  GENESIS_HASH,
  type MacKey,
  payloadHash,
  sealEntry,
  verifyMac,
} from "./chain.ts";
import {
  formatRecordRefs,
  parseAuditEntry,
  type RecordRef,
  REQUEST_ID_RE,
  toEntry,
} from "../domain/audit_entry.ts";
import { type VerifyResult, verifyStore } from "./verify.ts";

/** What a caller records; the log adds seq, ts, payload_hash, prev_hash and mac. */
export interface AuditAppend {
  readonly actor: string;
  readonly action: string;
  readonly keyId?: string | null | undefined;
  readonly result: string;
  /** Request parameters; only their hash is stored. Never pass key material anyway. */
  readonly payload?: unknown;
  /** Record revisions this entry commits (the record journal), if any. */
  readonly records?: readonly RecordRef[] | undefined;
  /** The HTTP request's correlation id, if the entry is written for one. */
  readonly requestId?: string | undefined;
}

/** Options of `AuditLog.open`. */
export interface AuditLogOptions {
  /** Source of entry timestamps (default: the system clock). */
  readonly clock?: (() => Date) | undefined;
  /** Most entries per store write (default 512). */
  readonly maxBatch?: number | undefined;
  /** Where the truncation anchor is kept (none: truncation goes undetected). */
  readonly anchor?: AnchorStore | undefined;
  /**
   * Accept a non-empty log without an anchor (only `ferrohsm audit re-anchor`, an explicit,
   * audited operator action, sets this; a missing anchor otherwise refuses the log).
   */
  readonly allowMissingAnchor?: boolean | undefined;
  /**
   * Called after each durable batch with its entry count and the time from its oldest
   * append to durability (for metrics); exceptions it throws are ignored.
   */
  readonly onBatch?: ((size: number, latencyMs: number) => void) | undefined;
  /** The log's archived segments (verified before the live log by `verify()`). */
  readonly archive?: AuditArchiveStore | undefined;
  /**
   * Least time between the starts of two anchor writes, in ms (default
   * DEFAULT_ANCHOR_INTERVAL_MS; 0 writes after every batch). Heads that arrive meanwhile
   * are coalesced into the next write; `flush()` and `close()` still end with the last one.
   */
  readonly anchorIntervalMs?: number | undefined;
}

/**
 * Default least interval between anchor writes. Each write of a file anchor is an open,
 * a write, an fsync and a rename; written after every group commit, those operations were
 * among the event loop's top functions at signing rates (issue 12). Spacing the writes lets the
 * anchor lag the log by at most this long plus one write, which is how long the newest
 * entries could be truncated unnoticed if the server is killed right then; the anchor
 * never runs ahead of the log.
 */
export const DEFAULT_ANCHOR_INTERVAL_MS = 25;

/** The last durable entry: its seq (0 when empty) and hash (GENESIS_HASH when empty). */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/** Counters since open, for metrics. */
export interface AuditLogStats {
  /** Entries made durable. */
  readonly appended: number;
  /** Successful store writes. */
  readonly batches: number;
  readonly lastBatchSize: number;
  /** Time from the oldest append of the last successful batch to its durability. */
  readonly lastAppendLatencyMs: number;
  /** Failed store writes (batches). */
  readonly failures: number;
  /** Entries rejected with audit_unavailable because their batch failed. */
  readonly failedEntries: number;
  readonly anchorFailures: number;
  /** Appends waiting for the next batch. */
  readonly pending: number;
}

/** Longest accepted string field, in UTF-16 code units. */
export const MAX_FIELD_LENGTH = 16384;

interface Pending {
  readonly fields: Omit<AuditFields, "seq" | "ts">;
  readonly at: number;
  readonly resolve: (entry: AuditEntry) => void;
  readonly reject: (err: unknown) => void;
}

/** The tamper-evident audit log over an AuditStore. */
export class AuditLog {
  readonly #store: AuditStore;
  readonly #macKey: MacKey;
  readonly #clock: () => Date;
  readonly #maxBatch: number;
  readonly #anchor: AnchorStore | undefined;
  readonly #onBatch: ((size: number, latencyMs: number) => void) | undefined;
  readonly #archive: AuditArchiveStore | undefined;
  readonly #anchorIntervalMs: number;
  #head: AuditHead;
  #queue: Pending[] = [];
  #draining: Promise<void> | undefined;
  #anchorWanted: AuditHead | undefined;
  #anchorWriting: Promise<void> | undefined;
  /** When the last anchor write started (performance.now()). */
  #lastAnchorAt = -Infinity;
  #closed = false;
  #stats = {
    appended: 0,
    batches: 0,
    lastBatchSize: 0,
    lastAppendLatencyMs: 0,
    failures: 0,
    failedEntries: 0,
    anchorFailures: 0,
  };

  private constructor(
    store: AuditStore,
    macKey: MacKey,
    head: AuditHead,
    options: AuditLogOptions,
  ) {
    this.#store = store;
    this.#macKey = macKey;
    this.#head = head;
    this.#clock = options.clock ?? (() => new Date());
    this.#maxBatch = options.maxBatch ?? 512;
    this.#anchor = options.anchor;
    this.#onBatch = options.onBatch;
    this.#archive = options.archive;
    this.#anchorIntervalMs = options.anchorIntervalMs ?? DEFAULT_ANCHOR_INTERVAL_MS;
  }

  /**
   * Reads and checks the head (last entry's MAC; anchor reached with its hash).
   * @throws HsmError("integrity_error") when the head or anchor does not check out
   */
  static async open(
    store: AuditStore,
    macKey: MacKey,
    options: AuditLogOptions = {},
  ): Promise<AuditLog> {
    const maxBatch = options.maxBatch ?? 512;
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new RangeError("Invalid maxBatch");
    const interval = options.anchorIntervalMs ?? DEFAULT_ANCHOR_INTERVAL_MS;
    if (!Number.isFinite(interval) || interval < 0) {
      throw new RangeError("Invalid anchorIntervalMs");
    }
    let head: AuditHead = { seq: 0, hash: GENESIS_HASH };
    // The anchor first: another writer sharing the store may append meanwhile, and a log
    // read after its anchor is never shorter than the anchor says.
    const anchor = await options.anchor?.read();
    const stored = await store.last();
    if (stored !== undefined) {
      const last = parseAuditEntry(stored);
      if (last === undefined || !verifyMac(macKey, last)) {
        throw new HsmError("integrity_error", "Audit log's last entry fails verification");
      }
      head = { seq: last.seq, hash: entryHash(last) };
    }
    if (options.anchor !== undefined) {
      if (anchor !== undefined) {
        await checkAnchor(store, macKey, anchor, head);
      } else if (head.seq === 0) {
        // A new log gets its anchor before its first entry, so from then on a missing
        // anchor always means a deleted one (a lagging anchor is harmless, a missing one
        // could hide a truncation).
        await options.anchor.write(signAnchor(macKey, 0, GENESIS_HASH));
      } else if (options.allowMissingAnchor !== true) {
        throw new HsmError(
          "integrity_error",
          `Audit anchor is missing next to a log of ${head.seq} entries: its tail may have been truncated (re-anchor deliberately with \`ferrohsm audit re-anchor\`)`,
        );
      }
    }
    return new AuditLog(store, macKey, head, options);
  }

  /**
   * Appends an entry; resolves with it once durable.
   * @throws HsmError("audit_unavailable") when the store write fails or the log is closed
   * @throws HsmError("invalid_request") when a field is longer than MAX_FIELD_LENGTH
   */
  append(input: AuditAppend): Promise<AuditEntry> {
    let fields: Pending["fields"];
    try {
      if (this.#closed) throw new HsmError("audit_unavailable", "Audit log unavailable");
      fields = {
        actor: field(input.actor, "actor"),
        action: field(input.action, "action"),
        key_id: input.keyId === undefined || input.keyId === null
          ? null
          : field(input.keyId, "keyId"),
        result: field(input.result, "result"),
        payload_hash: payloadHash(input.payload),
        ...(input.records === undefined || input.records.length === 0
          ? {}
          : { records: formatRecordRefs(input.records) }),
        ...(input.requestId === undefined ? {} : { request_id: requestId(input.requestId) }),
      };
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ fields, at: performance.now(), resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  /** The last durable entry's seq and hash. */
  head(): AuditHead {
    return this.#head;
  }

  /** Counters since open. */
  stats(): AuditLogStats {
    return { ...this.#stats, pending: this.#queue.length };
  }

  /** Entries with seq > afterSeq, ascending, at most `limit` (1..1000). */
  async list(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new RangeError("Invalid after_seq");
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
      throw new RangeError("Invalid limit");
    }
    return await this.#store.list(afterSeq, limit);
  }

  /** Verifies the whole stored chain against the anchor (reads the anchor first). */
  async verify(): Promise<VerifyResult> {
    return await verifyStore(this.#store, this.#macKey, this.#anchor, { archive: this.#archive });
  }

  /** Waits until every queued append and anchor write has finished. */
  async flush(): Promise<void> {
    while (this.#draining !== undefined || this.#anchorWriting !== undefined) {
      await (this.#draining ?? this.#anchorWriting);
    }
  }

  /** Refuses new appends, then flushes. Does not close the store (its owner does). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  async #drain(): Promise<void> {
    // Let appends issued in the same tick join the first batch.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) {
        await this.#commit(this.#queue.splice(0, this.#maxBatch));
      }
    } finally {
      this.#draining = undefined;
    }
  }

  async #commit(batch: Pending[]): Promise<void> {
    let entries: readonly AuditEntry[];
    let head: AuditHead;
    try {
      const appendChained = this.#store.appendChained?.bind(this.#store);
      if (appendChained !== undefined) {
        // Linking is synchronous; the store's port takes a promise (a throw rejects it).
        const chained = await appendChained((stored) =>
          Promise.resolve().then(() => {
            const linked = this.#link(batch, this.#storedHead(stored));
            const anchor = signAnchor(this.#macKey, linked.head.seq, linked.head.hash);
            return { entries: linked.entries, head: anchor };
          })
        );
        entries = chained.entries;
        head = { seq: chained.head.seq, hash: chained.head.hash };
      } else {
        ({ entries, head } = this.#link(batch, this.#head));
        await this.#store.append(entries);
      }
    } catch (err) {
      this.#stats.failures++;
      this.#stats.failedEntries += batch.length;
      const error = new HsmError("audit_unavailable", "Audit log unavailable", { cause: err });
      for (const p of batch) p.reject(error);
      return;
    }
    this.#head = head;
    const s = this.#stats;
    s.appended += batch.length;
    s.batches++;
    s.lastBatchSize = batch.length;
    s.lastAppendLatencyMs = performance.now() - (batch[0] as Pending).at;
    batch.forEach((p, i) => p.resolve(entries[i] as AuditEntry));
    try {
      this.#onBatch?.(batch.length, s.lastAppendLatencyMs);
    } catch {
      // An observer must never affect the log.
    }
    // A chained store moved the anchor with the batch.
    if (this.#store.appendChained === undefined) this.#scheduleAnchor();
  }

  /**
   * Chains `batch` after `from`: seq, one timestamp, then each entry's MAC and hash from
   * one encoding (synchronous: no Web Crypto round trip per entry).
   */
  #link(
    batch: readonly Pending[],
    from: AuditHead,
  ): { entries: AuditEntry[]; head: AuditHead } {
    let { seq, hash } = from;
    const ts = this.#clock().toISOString();
    const entries = batch.map((p) => {
      const fields: AuditFields = { seq: ++seq, ts, ...p.fields };
      const prev_hash = hash;
      const sealed = sealEntry(this.#macKey, fields, prev_hash);
      hash = sealed.hash;
      return toEntry({ ...fields, prev_hash, mac: sealed.mac });
    });
    return { entries, head: { seq, hash } };
  }

  /**
   * The head a chained store holds, once its anchor MAC verifies (genesis while it holds
   * none yet: a log with entries but no head then fails on the store's unique seq).
   * @throws HsmError("integrity_error") when the stored head is not authentic
   */
  #storedHead(stored: AnchorRecord | undefined): AuditHead {
    if (stored === undefined) return { seq: 0, hash: GENESIS_HASH };
    if (!verifyAnchor(this.#macKey, stored)) {
      throw new HsmError("integrity_error", "Audit chain head fails verification");
    }
    return { seq: stored.seq, hash: stored.hash };
  }

  #scheduleAnchor(): void {
    const store = this.#anchor;
    if (store === undefined) return;
    this.#anchorWanted = this.#head;
    this.#anchorWriting ??= (async () => {
      try {
        while (this.#anchorWanted !== undefined) {
          // Heads that arrive while this waits are coalesced: the write takes the newest.
          const wait = this.#lastAnchorAt + this.#anchorIntervalMs - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          const h = this.#anchorWanted;
          this.#anchorWanted = undefined;
          this.#lastAnchorAt = performance.now();
          try {
            await store.write(signAnchor(this.#macKey, h.seq, h.hash));
          } catch {
            this.#stats.anchorFailures++;
          }
        }
      } finally {
        this.#anchorWriting = undefined;
      }
    })();
  }
}

async function checkAnchor(
  store: AuditStore,
  macKey: MacKey,
  anchor: AnchorRecord,
  head: AuditHead,
): Promise<void> {
  if (!verifyAnchor(macKey, anchor)) {
    throw new HsmError("integrity_error", "Audit anchor fails verification");
  }
  if (anchor.seq > head.seq) {
    throw new HsmError(
      "integrity_error",
      `Audit log ends at seq ${head.seq} but its anchor is at seq ${anchor.seq}: the log was truncated`,
    );
  }
  let hash = GENESIS_HASH;
  if (anchor.seq === head.seq) {
    hash = head.hash;
  } else if (anchor.seq > 0) {
    const [stored] = await store.list(anchor.seq - 1, 1);
    const at = parseAuditEntry(stored);
    hash = at !== undefined && at.seq === anchor.seq ? entryHash(at) : "";
  }
  if (hash !== anchor.hash) {
    throw new HsmError(
      "integrity_error",
      `Audit log entry ${anchor.seq} does not match its anchor: the log was rewritten`,
    );
  }
}

function field(value: unknown, name: string): string {
  if (typeof value !== "string") throw new TypeError(`Audit ${name} must be a string`);
  if (value.length > MAX_FIELD_LENGTH) {
    throw new HsmError("invalid_request", `Audit ${name} is too long`);
  }
  return value.toWellFormed();
}

/** A request id as entries carry it; the app only accepts such ids, so others are bugs. */
function requestId(value: string): string {
  if (!REQUEST_ID_RE.test(value)) throw new TypeError("Invalid audit request id");
  return value;
}
