/**
 * Read access to the audit log for the API: paging through entries and verifying the
 * chain online — the entries, the anchor, and every stored key record and approval
 * against the revision the chain last committed (the record journal). Both need
 * `audit:read` and are themselves audited.
 */

import type { Actor, Guard } from "../access/guard.ts";
import type { AuditEntry } from "../domain/audit_entry.ts";
import type { AnchorStore, AuditArchiveStore, AuditStore } from "../storage/ports.ts";
import type { AuditMacKey } from "./chain.ts";
import { type JournaledStores, verifyStoreAndRecords } from "./verify_records.ts";
import type { VerifyResult } from "./verify.ts";

/** Dependencies of the audit service. */
export interface AuditServiceOptions {
  readonly store: AuditStore;
  readonly guard: Guard;
  readonly macKey: AuditMacKey;
  readonly anchor?: AnchorStore;
  /** The stores whose records verification checks against the journal. */
  readonly records?: JournaledStores;
  /** Archived segments, verified before the live log. */
  readonly archive?: AuditArchiveStore;
}

/** Lists and verifies the audit log. */
export class AuditService {
  #options: AuditServiceOptions;

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

  /** Verifies the whole chain against the anchor, then every record against the chain. */
  verify(actor: Actor): Promise<VerifyResult> {
    return this.#options.guard.run({ actor, action: "audit.verify" }, async (op) => {
      op.authorize("audit:read");
      const { store, macKey, anchor, records, archive } = this.#options;
      return await verifyStoreAndRecords(store, macKey, { anchor, records, archive });
    });
  }
}
