/**
 * In-memory ApprovalStore for tests and development runs; everything is lost when the
 * process exits. Records are deep-copied in and out (`params` through JSON, exactly as
 * the SQLite store keeps them), so callers cannot mutate stored state.
 */

import { HsmError } from "../../domain/errors.ts";
import type { ApprovalListQuery, ApprovalPage, ApprovalStore } from "../ports.ts";
import type { ApprovalRecord, ApprovalState } from "../../domain/records.ts";
import {
  assertApprovalRecord,
  assertSafeId,
  copyApprovalRecord,
  effectiveApprovalState,
  pageApprovals,
  zeroCounts,
} from "../records.ts";

/** An ApprovalStore held in process memory. */
export class MemoryApprovalStore implements ApprovalStore {
  #records = new Map<string, ApprovalRecord>();
  #closed = false;

  /** Stores a new approval. @throws HsmError("conflict") when the id exists. */
  create(record: ApprovalRecord): Promise<void> {
    return this.#run(() => {
      assertSafeId(record.id);
      assertApprovalRecord(record);
      if (this.#records.has(record.id)) {
        throw new HsmError("conflict", "Cannot create approval: the id already exists");
      }

      this.#records.set(record.id, copyApprovalRecord(record));
    });
  }

  /** The approval, or undefined. */
  get(id: string): Promise<ApprovalRecord | undefined> {
    return this.#run(() => {
      const record = this.#records.get(id);
      return record && copyApprovalRecord(record);
    });
  }

  /** Approvals matching the query, by creation time then id. */
  list(query: ApprovalListQuery): Promise<ApprovalPage> {
    return this.#run(() => pageApprovals(this.#records.values(), query));
  }

  /** Approvals per state as callers see them at `now`. */
  countByState(now: string): Promise<Record<ApprovalState, number>> {
    return this.#run(() => {
      const counts = zeroCounts();
      for (const r of this.#records.values()) counts[effectiveApprovalState(r, now)]++;
      return counts;
    });
  }

  /**
   * Replaces an approval; its `revision` must be the stored one + 1.
   * @throws HsmError("conflict") on a stale revision
   * @throws HsmError("not_found") when the approval does not exist
   */
  update(record: ApprovalRecord): Promise<void> {
    return this.#run(() => {
      assertApprovalRecord(record);
      const stored = this.#records.get(record.id);
      if (stored === undefined) {
        throw new HsmError("not_found", "Cannot update approval: it does not exist");
      }
      if (record.revision !== stored.revision + 1) {
        throw new HsmError(
          "conflict",
          `Cannot update approval: revision ${record.revision} does not follow stored revision ${stored.revision}`,
        );
      }
      this.#records.set(record.id, copyApprovalRecord(record));
    });
  }

  /** Marks the store closed; later calls fail with `unavailable`. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** Runs a synchronous step as a promise, so every failure is a rejection. */
  #run<T>(step: () => T): Promise<T> {
    try {
      if (this.#closed) throw new HsmError("unavailable", "Approval store is closed");
      return Promise.resolve(step());
    } catch (err) {
      return Promise.reject(err);
    }
  }
}
