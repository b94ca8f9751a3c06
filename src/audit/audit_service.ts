/**
 * Read access to the audit log for the API: paging through entries and verifying the
 * chain online. Both need `audit:read` and are themselves audited.
 */

import type { AuditStore } from "../storage/ports.ts";
import type { AuditEntry } from "../domain/audit_entry.ts";
import type { Actor, Guard } from "../access/guard.ts";
import type { AnchorStore } from "../storage/ports.ts";
import type { AuditMacKey } from "./chain.ts";
import { type VerifyResult, verifyStore } from "./verify.ts";

/** Lists and verifies the audit log. */
export class AuditService {
  #store: AuditStore;
  #guard: Guard;
  #macKey: AuditMacKey;
  #anchor: AnchorStore | undefined;

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

  /** Verifies the whole chain against the anchor. */
  verify(actor: Actor): Promise<VerifyResult> {
    return this.#guard.run({ actor, action: "audit.verify" }, async (op) => {
      op.authorize("audit:read");
      return await verifyStore(this.#store, this.#macKey, this.#anchor);
    });
  }
}
