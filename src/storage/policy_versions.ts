/**
 * The version rule every PolicyStore adapter enforces: version 1 creates a policy and
 * each later version follows the latest stored one. Shared so the adapters answer the
 * same `conflict` and `not_found` errors for the same races.
 */

import { HsmError } from "../domain/errors.ts";

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
