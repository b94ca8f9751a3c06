/**
 * What the PolicyStore adapters share: the version rule (version 1 creates a policy and
 * each later version follows the latest stored one, so the adapters answer the same
 * `conflict` and `not_found` errors for the same races) and the row encoding of the SQL
 * adapters (scope as JSON text, a malformed row an `integrity_error`).
 */

import { HsmError } from "../domain/errors.ts";
import type { PolicyVersionRecord } from "../domain/policies.ts";
import { policyVersionProblem } from "./records.ts";

/**
 * Checks that `next` may be written after the latest stored version `latest`
 * (undefined when the id is unknown).
 * @throws HsmError("conflict") for a duplicate create or a stale version
 * @throws HsmError("not_found") for a later version of an unknown policy
 */
export function checkNextPolicyVersion(
  latest: number | undefined,
  next: { readonly id: string; readonly version: number },
): void {
  if (latest === undefined) {
    if (next.version === 1) return;
    throw new HsmError("not_found", `Cannot update policy ${next.id}: it does not exist`);
  }
  if (next.version === 1) {
    throw new HsmError("conflict", `Cannot create policy ${next.id}: the id already exists`);
  }
  if (next.version !== latest + 1) {
    throw new HsmError(
      "conflict",
      `Cannot write version ${next.version} of policy ${next.id}: latest version is ${latest}`,
    );
  }
}

/** A policy version as the SQL adapters store it: the record with its scope as JSON text. */
export type PolicyVersionRow = Omit<PolicyVersionRecord, "scope"> & { readonly scope: string };

/** The row of a policy version (SQLite and PostgreSQL `policy_versions`). */
export function policyVersionColumns(p: PolicyVersionRecord): PolicyVersionRow {
  return {
    id: p.id,
    version: p.version,
    name: p.name,
    script: p.script,
    digest: p.digest,
    scope: JSON.stringify(p.scope),
    deleted: p.deleted,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    author: p.author,
    approvalId: p.approvalId,
    mac: p.mac,
  };
}

/**
 * The policy version a row holds.
 * @throws HsmError("integrity_error") for a malformed row
 */
export function decodePolicyVersionRow(row: PolicyVersionRow): PolicyVersionRecord {
  let scope: unknown;
  try {
    scope = JSON.parse(row.scope);
  } catch {
    scope = undefined;
  }
  const candidate = { ...row, scope };
  const problem = policyVersionProblem(candidate);
  if (problem !== undefined) {
    throw new HsmError(
      "integrity_error",
      `Cannot read version ${row.version} of policy ${row.id}: ${problem}`,
    );
  }
  return candidate as PolicyVersionRecord;
}
