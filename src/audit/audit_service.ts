/**
 * Read access to the audit log for the API and the dashboard: paging through entries
 * (forwards, or newest first with filters), verifying the chain online — the entries, the
 * anchor, and every stored key record and approval against the revision the chain last
 * committed (the record journal) — and remembering the last verification's outcome.
 * Reads need `audit:read` and are themselves audited.
 */

import type { Actor, Guard } from "../access/guard.ts";
import type { AuditEntry } from "../domain/audit_entry.ts";
import type { AnchorStore, AuditArchiveStore, AuditStore } from "../storage/ports.ts";
import { readTimeline, type TimelinePage, type TimelineQuery } from "./audit_timeline.ts";
import type { MacKey } from "./chain.ts";
import type { VerifyResult } from "./verify.ts";
import { type JournaledStores, verifyStoreAndRecords } from "./verify_records.ts";

/** Dependencies of the audit service. */
export interface AuditServiceOptions {
  readonly store: AuditStore;
  readonly guard: Guard;
  readonly macKey: MacKey;
  readonly anchor?: AnchorStore;
  /** The stores whose records verification checks against the journal. */
  readonly records?: JournaledStores;
  /** Archived segments, verified before the live log. */
  readonly archive?: AuditArchiveStore;
}

/** The outcome of the last online verification. */
export interface LastVerification {
  /** When it finished (ISO 8601). */
  readonly at: string;
  readonly result: VerifyResult;
}

/** Lists and verifies the audit log. */
export class AuditService {
  #options: AuditServiceOptions;
  #last: LastVerification | undefined;

  constructor(options: AuditServiceOptions) {
    this.#options = options;
  }

  /** Entries after `afterSeq`, ascending, at most `limit`. */
  list(actor: Actor, afterSeq: number, limit: number): Promise<AuditEntry[]> {
    const request = { actor, action: "audit.read", payload: { after_seq: afterSeq, limit } };
    return this.#options.guard.run(request, async (op) => {
      op.authorize("audit:read");
      return await this.#options.store.list(afterSeq, limit);
    });
  }

  /** Entries newest first, filtered, one page at a time (see `readTimeline`). */
  timeline(actor: Actor, query: TimelineQuery): Promise<TimelinePage> {
    const payload = {
      before_seq: query.beforeSeq,
      limit: query.limit,
      actor: query.actor,
      action: query.action,
      key_id: query.keyId,
    };
    return this.#options.guard.run({ actor, action: "audit.read", payload }, async (op) => {
      op.authorize("audit:read");
      return await readTimeline(this.#options.store, query);
    });
  }

  /** Verifies the whole chain against the anchor, then every record against the chain. */
  verify(actor: Actor): Promise<VerifyResult> {
    return this.#options.guard.run({ actor, action: "audit.verify" }, async (op) => {
      op.authorize("audit:read");
      const { store, macKey, anchor, records, archive } = this.#options;
      const result = await verifyStoreAndRecords(store, macKey, { anchor, records, archive });
      this.#last = { at: new Date().toISOString(), result };
      return result;
    });
  }

  /** The outcome of the last online verification since start, if any (unaudited figure). */
  lastVerification(): LastVerification | undefined {
    return this.#last;
  }
}
