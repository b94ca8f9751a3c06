/**
 * How the approvable actions retention touches execute:
 *
 * - `key.purge`: approving records the decision only (the approval becomes `executed`);
 *   the scheduler wipes the versions once the class's grace period has passed.
 * - `key.destroy`: the key becomes `destroyed`. When its class keeps destroyed keys for
 *   some days, the versions stay (unusable) until retention purges them; when it wipes
 *   at destruction (0 days, the default), the store deletes them at once and a
 *   destruction receipt is written per version, naming the destroy approvers. The
 *   versions are read inside the key's lock, right before the write, so each wiped
 *   version gets its receipt.
 */

import type { ApprovalExecutors, ExecutionCommit } from "../approvals/approval_service.ts";
import { HsmError } from "../domain/errors.ts";
import type { ApprovalRecord, SealedVersion } from "../domain/records.ts";
import type { KeyRecords } from "../keys/key_records.ts";
import type { KeyTransitions } from "../keys/key_transitions.ts";
import type { KeyStore } from "../storage/ports.ts";
import type { Logger } from "../util/logger.ts";
import type { RetentionService } from "./retention_service.ts";

/** What the executors need. */
export interface RetentionExecutorDeps {
  readonly transitions: KeyTransitions;
  readonly records: KeyRecords;
  readonly keys: KeyStore;
  readonly retention: RetentionService;
  readonly logger?: Logger;
}

/** The executors of `key.purge` and (retention-aware) `key.destroy`. */
export function retentionExecutors(
  deps: RetentionExecutorDeps,
): Pick<ApprovalExecutors, "key.purge" | "key.destroy"> {
  return {
    "key.purge": async (approval, commit) => {
      const versions = approval.params.versions;
      if (!Array.isArray(versions) || !versions.every((v) => Number.isSafeInteger(v))) {
        throw new HsmError("integrity_error", `Approval ${approval.id} names no versions`);
      }
      await commit([]);
    },
    "key.destroy": (approval, commit) => destroy(deps, approval, commit),
  };
}

async function destroy(
  deps: RetentionExecutorDeps,
  approval: ApprovalRecord,
  commit: ExecutionCommit,
): Promise<unknown> {
  const keyId = approval.keyId;
  if (keyId === null) throw new HsmError("integrity_error", `Approval ${approval.id} names no key`);
  const rules = deps.retention.classOf(await deps.records.get(keyId));
  if (rules.destroyedKeysDays > 0) {
    return await deps.transitions.destroy(keyId, commit, { retainVersions: true });
  }
  let wiped: SealedVersion[] = [];
  const destroyed = await deps.transitions.destroy(keyId, async (refs) => {
    wiped = await deps.keys.listVersions(keyId);
    await commit(refs);
  });
  try {
    await deps.retention.recordDestroyed(approval, destroyed, wiped);
  } catch (err) {
    // The material is gone and the audit entry says so; a missing receipt is reported.
    deps.logger?.log("error", "Cannot write the destruction receipts of a destroyed key", {
      key_id: keyId,
      approval_id: approval.id,
      error: err instanceof Error ? err.name : "error",
    });
  }
  return destroyed;
}
