/**
 * Read access to the audit log for the API and the dashboard: paging through entries
 * (forwards, or newest first with filters), verifying the chain online and remembering
 * the last verification's outcome. Reads need `audit:read` and are themselves audited.
 */

import type { AuditStore } from "../storage/ports.ts";
import type { AuditEntry } from "../domain/audit_entry.ts";
import type { Actor, Guard } from "../access/guard.ts";
import type { AnchorStore } from "../storage/ports.ts";
import type { AuditMacKey } from "./chain.ts";
import { readTimeline, type TimelinePage, type TimelineQuery } from "./audit_timeline.ts";
import { type VerifyResult, verifyStore } from "./verify.ts";

/** The outcome of the last online verification. */
export interface LastVerification {
  /** When it finished (ISO 8601). */
  readonly at: string;
  readonly result: VerifyResult;
}

/** Lists and verifies the audit log. */
export class AuditService {
  #store: AuditStore;
  #guard: Guard;
  #macKey: AuditMacKey;
  #anchor: AnchorStore | undefined;
  #last: LastVerification | undefined;

  constructor(store: AuditStore, guard: Guard, macKey: AuditMacKey, anchor?: AnchorStore) {
    this.#store = store;
    this.#guard = guard;
    this.#macKey = macKey;
    this.#anchor = anchor;
  }

  /** Entries after `afterSeq`, ascending, at most `limit`. */
  list(actor: Actor, afterSeq: number, limit: number): Promise<AuditEntry[]> {
    const request = { actor, action: "audit.read", payload: { after_seq: afterSeq, limit } };
    return this.#guard.run(request, async (op) => {
      op.authorize("audit:read");
      return await this.#store.list(afterSeq, limit);
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
    return this.#guard.run({ actor, action: "audit.read", payload }, async (op) => {
      op.authorize("audit:read");
      return await readTimeline(this.#store, query);
    });
  }

  /** Verifies the whole chain against the anchor. */
  verify(actor: Actor): Promise<VerifyResult> {
    return this.#guard.run({ actor, action: "audit.verify" }, async (op) => {
      op.authorize("audit:read");
      const result = await verifyStore(this.#store, this.#macKey, this.#anchor);
      this.#last = { at: new Date().toISOString(), result };
      return result;
    });
  }

  /** The outcome of the last online verification since start, if any (unaudited figure). */
  lastVerification(): LastVerification | undefined {
    return this.#last;
  }
}
