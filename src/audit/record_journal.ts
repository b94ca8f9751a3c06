/**
 * The record journal: anti-rollback for key records and approvals, anchored in the
 * audit chain. Every store write of a record is committed by an audit entry that names
 * the new revision and a digest of its MAC (`records: "key:<id>@<rev>:<digest>"`); the
 * journal is the index of those refs, rebuilt from the chain at start-up and kept in step
 * as the server commits. A record read from a store must be the revision the chain last
 * committed for it: an older row with a valid MAC (a replayed backup row that would
 * un-revoke a key, undo a rotation or bring a destroyed key back) answers
 * `integrity_error`, and `audit verify` reports it.
 *
 * Accepted digests per record: the last committed one; also the one before it while a
 * write is in flight, when the entry that committed it was followed by a `failed:*`
 * entry (the store write failed), or when the process stopped between the entry and the
 * store write (a crash; see `interrupted`).
 *
 * Archiving: when old entries move to an archive (`audit_archive.ts`), the journal they
 * held survives as `journal.checkpoint` entries appended to the live log first; each
 * names the last committed ref of records whose commits are being archived. Replaying
 * the live log, a checkpoint ref counts only for a record no live entry committed yet,
 * so a checkpoint never undoes a later (or concurrent) commit, and replaying archive and
 * live log together gives the same journal as the live log alone.
 *
 * Nodes sharing one log: a record another node committed is read back here through
 * `catchUp`; with `acceptInFlight(ms)`, the record's recently committed revisions (the
 * last few before it) stay accepted for that long after this node first saw the commit
 * (the other node's store write may still be in flight; with several nodes racing, the
 * revision just before it in the chain may be another node's attempt that failed), and
 * no longer once this node has read the new revision. After that, a record still at an
 * older revision is refused until the writer's failure is on the chain (`failed:*`, or
 * `journal.reconcile` for a node that died).
 *
 * Caveat: the chain is the authority, so rolling back a record *and* the audit log's tail
 * *and* its anchor together (restoring a whole old snapshot of the data dir) is not
 * detected here; export the audit head to an external system to detect that.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { toHex, utf8 } from "../core/encoding.ts";
import {
  type AuditEntry,
  parseAuditEntry,
  parseRecordRefs,
  type RecordRef,
} from "../domain/audit_entry.ts";
import { HsmError } from "../domain/errors.ts";
import type { AuditStore } from "../storage/ports.ts";
import { type MacKey, verifyMac } from "./chain.ts";

/** A record the journal can check: its kind, id, revision and MAC. */
export interface JournaledRecord {
  readonly id: string;
  readonly revision: number;
  readonly mac: string;
}

/** The audit actions that mark a server's start and its clean stop. */
export const SERVER_START = "server.start";
/** See SERVER_START. */
export const SERVER_STOP = "server.stop";
/** The audit action of a journal checkpoint written before entries are archived. */
export const JOURNAL_CHECKPOINT = "journal.checkpoint";

interface Head {
  /** The last committed ref and the seq of the entry that committed it. */
  readonly latest: RecordRef;
  readonly seq: number;
  /** Digests a read may find (the latest, and the previous one when not settled). */
  accepted: string[];
  readonly previous: string | undefined;
  /** Digests committed before `latest`, oldest first (the last IN_FLIGHT_HISTORY). */
  readonly history: readonly string[];
  /** Until then (ms) `history` is accepted too: another node's write may be in flight. */
  inFlightUntil?: number | undefined;
}

/** Earlier revisions a record may still show while another node's write is in flight. */
const IN_FLIGHT_HISTORY = 4;

/** The digest the journal keeps of a record: SHA-256 of its MAC, 32 hex characters. */
export function recordDigest(mac: string): string {
  return toHex(sha256(utf8(mac))).slice(0, 32);
}

/** The journal ref of a record about to be written. */
export function refOf(kind: RecordRef["kind"], record: JournaledRecord): RecordRef {
  return { kind, id: record.id, revision: record.revision, digest: recordDigest(record.mac) };
}

/** A record whose current row contradicts the journal. */
export interface JournalMismatch {
  readonly kind: RecordRef["kind"];
  readonly id: string;
  /** The seq of the entry that committed the expected revision (0 when none did). */
  readonly seq: number;
  readonly reason: "record_rollback" | "record_unjournaled";
}

/** The index of committed record revisions. */
export class RecordJournal {
  /**
   * Rebuilds the journal from the chain's journal entries, checking each entry's MAC.
   * @throws HsmError("integrity_error") at an entry that fails verification
   */
  static async load(store: AuditStore, macKey: MacKey): Promise<RecordJournal> {
    const journal = new RecordJournal({ store, macKey });
    await journal.catchUp();
    return journal;
  }

  #source: { readonly store: AuditStore; readonly macKey: MacKey } | undefined;
  #lastSeq = 0;
  #inFlightMs = 0;
  #clock: () => number = Date.now;

  /** A journal; with a `source` it can catch up with entries other writers appended. */
  constructor(source?: { readonly store: AuditStore; readonly macKey: MacKey }) {
    this.#source = source;
  }

  /**
   * Reads the journal entries appended after the last one this journal saw (by another
   * node sharing the store, or before this process started), checking each entry's MAC.
   * @throws HsmError("integrity_error") at an entry that fails verification
   */
  async catchUp(): Promise<void> {
    const source = this.#source;
    if (source === undefined) return;
    for await (const raw of source.store.journal([SERVER_START, SERVER_STOP], this.#lastSeq)) {
      const entry = parseAuditEntry(raw);
      if (entry === undefined || !verifyMac(source.macKey, entry)) {
        throw new HsmError("integrity_error", `Audit log entry ${raw.seq} fails verification`);
      }
      this.observe(entry);
      if (this.#inFlightMs > 0 && entry.result === "ok" && entry.records !== undefined) {
        const until = this.#clock() + this.#inFlightMs;
        for (const ref of parseRecordRefs(entry.records) ?? []) {
          const head = this.#heads.get(key(ref.kind, ref.id));
          if (head !== undefined && head.latest.digest === ref.digest && head.seq === entry.seq) {
            head.inFlightUntil = until;
          }
        }
      }
    }
  }

  /**
   * From now on, a commit read back by `catchUp` (another node's) accepts the record's
   * last few committed revisions for `graceMs` while that node's store write may be in
   * flight.
   */
  acceptInFlight(graceMs: number, clock: () => number = Date.now): void {
    if (!Number.isFinite(graceMs) || graceMs < 0) throw new RangeError("Invalid grace");
    this.#inFlightMs = graceMs;
    this.#clock = clock;
  }

  /**
   * Checks a record read from a store, catching up with the log first when the record is
   * newer than what this journal has seen (another writer committed it).
   * @throws HsmError("integrity_error") when it is not the revision the chain committed
   */
  async verify(kind: RecordRef["kind"], record: JournaledRecord): Promise<void> {
    if (this.mismatch(kind, record) !== undefined) await this.catchUp();
    this.check(kind, record);
    const head = this.#heads.get(key(kind, record.id));
    // The new revision is in the store: the write it was waiting for has landed.
    if (head?.latest.digest === recordDigest(record.mac)) head.inFlightUntil = undefined;
  }

  #heads = new Map<string, Head>();
  /** Records whose only commit (revision 1) the chain says failed or was interrupted. */
  #failedCreations = new Set<string>();
  #lastStart = 0;
  #lastStop = 0;
  #entries = 0;

  /** Feeds one verified entry, in chain order (start-up rebuild and verification). */
  observe(entry: AuditEntry): void {
    if (entry.seq > this.#lastSeq) this.#lastSeq = entry.seq;
    if (entry.action === SERVER_START) this.#lastStart = entry.seq;
    if (entry.action === SERVER_STOP) this.#lastStop = entry.seq;
    if (entry.records === undefined) return;
    const refs = parseRecordRefs(entry.records);
    if (refs === undefined) return;
    this.#entries++;
    if (entry.action === JOURNAL_CHECKPOINT) {
      if (entry.result !== "ok") return;
      for (const ref of refs) {
        if (!this.#heads.has(key(ref.kind, ref.id))) this.#commit(ref, entry.seq);
      }
    } else if (entry.result === "ok") {
      for (const ref of refs) this.#commit(ref, entry.seq);
    } else if (entry.result.startsWith("failed:")) {
      for (const ref of refs) this.unsettle(ref);
    }
  }

  /** True once any journaled entry was seen (false: a data dir from before the journal). */
  get started(): boolean {
    return this.#entries > 0;
  }

  /**
   * Refs whose committing entry came after the last server start with no clean stop
   * after it: the process may have stopped before their store write (a record's first
   * revision included: its row may not exist).
   */
  interrupted(): RecordRef[] {
    if (this.#lastStop > this.#lastStart) return [];
    const out: RecordRef[] = [];
    for (const head of this.#heads.values()) {
      if (head.seq > this.#lastStart) out.push(head.latest);
    }
    return out;
  }

  /**
   * Records whose last commit is at or before `seq` (what a checkpoint must carry when
   * entries through `seq` are archived), with the digests a read may find.
   */
  headsThrough(seq: number): { readonly ref: RecordRef; readonly accepted: readonly string[] }[] {
    const out = [];
    for (const head of this.#heads.values()) {
      if (head.seq <= seq) out.push({ ref: head.latest, accepted: [...head.accepted] });
    }
    return out;
  }

  /** The last committed ref of every record of `kind` (e.g. to find deleted rows). */
  committed(kind: RecordRef["kind"]): RecordRef[] {
    const out: RecordRef[] = [];
    for (const head of this.#heads.values()) if (head.latest.kind === kind) out.push(head.latest);
    return out;
  }

  /** The last committed ref of a record, or undefined when none was. */
  latest(kind: RecordRef["kind"], id: string): RecordRef | undefined {
    return this.#heads.get(key(kind, id))?.latest;
  }

  /**
   * True when `ref` is its record's last commit and the revision before it is accepted
   * too because the chain or this process says the write failed or is in flight (not
   * merely by the in-flight grace of another node's commit).
   */
  isUnsettled(ref: RecordRef): boolean {
    const head = this.#heads.get(key(ref.kind, ref.id));
    return head !== undefined && head.latest.digest === ref.digest &&
      head.previous !== undefined && head.accepted.includes(head.previous);
  }

  /** The digest committed before `ref` (undefined for a record's first revision). */
  previousDigest(ref: RecordRef): string | undefined {
    return this.#heads.get(key(ref.kind, ref.id))?.previous;
  }

  /**
   * Records an entry this process appended that committed `refs` (durable): both old and
   * new rows are accepted until `settle`. The entry is read back by the next `catchUp`,
   * which reads strictly in chain order.
   */
  expect(refs: readonly RecordRef[], seq: number): void {
    for (const ref of refs) {
      this.#commit(ref, seq);
      this.#unsettle(ref);
    }
  }

  /** The store now holds `ref`: only it is accepted from now on. */
  settle(ref: RecordRef): void {
    const head = this.#heads.get(key(ref.kind, ref.id));
    if (head?.latest.digest === ref.digest) head.accepted = [ref.digest];
  }

  /**
   * Accepts the revision before `ref` too (its write was interrupted or failed); for a
   * record's first revision, notes that the record may never have been stored.
   */
  unsettle(ref: RecordRef): void {
    const head = this.#heads.get(key(ref.kind, ref.id));
    if (head?.latest.digest === ref.digest && head.previous === undefined) {
      this.#failedCreations.add(key(ref.kind, ref.id));
    }
    this.#unsettle(ref);
  }

  /**
   * True when `ref` is its record's only commit and the chain (or this process) says that
   * write failed or was interrupted: the record may be absent from its store.
   */
  creationFailed(ref: RecordRef): boolean {
    const head = this.#heads.get(key(ref.kind, ref.id));
    return head?.latest.digest === ref.digest && this.#failedCreations.has(key(ref.kind, ref.id));
  }

  /** Why `record` contradicts the journal, or undefined when it is the committed revision. */
  mismatch(kind: RecordRef["kind"], record: JournaledRecord): JournalMismatch | undefined {
    const head = this.#heads.get(key(kind, record.id));
    if (head === undefined) return { kind, id: record.id, seq: 0, reason: "record_unjournaled" };
    const digest = recordDigest(record.mac);
    if (head.accepted.includes(digest)) return undefined;
    if (
      head.inFlightUntil !== undefined && this.#clock() < head.inFlightUntil &&
      head.history.includes(digest)
    ) return undefined;
    return { kind, id: record.id, seq: head.seq, reason: "record_rollback" };
  }

  /**
   * Checks a record read from a store.
   * @throws HsmError("integrity_error") when it is not the revision the chain committed
   */
  check(kind: RecordRef["kind"], record: JournaledRecord): void {
    const problem = this.mismatch(kind, record);
    if (problem === undefined) return;
    throw new HsmError(
      "integrity_error",
      problem.reason === "record_rollback"
        ? `The stored ${kind} ${record.id} is older than the revision the audit log committed (entry ${problem.seq}): it was rolled back`
        : `The stored ${kind} ${record.id} was never committed by the audit log`,
    );
  }

  #commit(ref: RecordRef, seq: number): void {
    const k = key(ref.kind, ref.id);
    const before = this.#heads.get(k);
    // Reading back an entry this process already expected changes nothing (a write may
    // still be in flight, so both revisions stay accepted).
    if (before?.latest.digest === ref.digest) return;
    this.#failedCreations.delete(k);
    this.#heads.set(k, {
      latest: ref,
      seq,
      accepted: [ref.digest],
      previous: before?.latest.digest,
      history: before === undefined
        ? []
        : [...before.history, before.latest.digest].slice(-IN_FLIGHT_HISTORY),
    });
  }

  #unsettle(ref: RecordRef): void {
    const head = this.#heads.get(key(ref.kind, ref.id));
    if (head === undefined || head.latest.digest !== ref.digest) return;
    if (head.previous !== undefined && !head.accepted.includes(head.previous)) {
      head.accepted = [ref.digest, head.previous];
    }
  }
}

function key(kind: RecordRef["kind"], id: string): string {
  return `${kind}:${id}`;
}
