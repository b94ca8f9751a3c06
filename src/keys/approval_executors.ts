/**
 * How each approvable key action executes once its approval reaches quorum. One
 * executor per `ApprovableAction`, typed as a `Record`, so adding an action without
 * an executor fails to compile.
 */

import type { ApprovalExecutors } from "../approvals/approval_service.ts";
import { HsmError } from "../domain/errors.ts";
import type { ApprovalRecord } from "../domain/records.ts";
import type { KeyTransitions } from "./key_transitions.ts";

/** The approvable actions whose executors are key lifecycle transitions. */
export type KeyLifecycleAction = "key.destroy" | "key.activate" | "key.rotate" | "key.rollback";

/** The executors of the key lifecycle's approvable actions, over the key transitions. */
export function keyApprovalExecutors(
  transitions: KeyTransitions,
): Pick<ApprovalExecutors, KeyLifecycleAction> {
  return {
    "key.destroy": (a, commit) => transitions.destroy(keyIdOf(a), commit),
    "key.activate": (a, commit) => transitions.activate(keyIdOf(a), commit),
    "key.rotate": (a, commit) => transitions.rotateById(keyIdOf(a), commit),
    "key.rollback": (a, commit) =>
      transitions.rollbackById(keyIdOf(a), Number(a.params.version), commit),
  };
}

function keyIdOf(approval: ApprovalRecord): string {
  if (approval.keyId === null) {
    throw new HsmError("integrity_error", `Approval ${approval.id} names no key`);
  }
  return approval.keyId;
}
