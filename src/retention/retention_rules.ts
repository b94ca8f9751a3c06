/**
 * When a key version's sealed material may be purged, as a pure function of the key
 * record, its versions, its retention class and the time. A version is due when:
 *
 * - its key is destroyed (and kept its versions): at destruction (`updatedAt`) plus
 *   `destroyed_keys_days`;
 * - it is revoked: an earlier version is revoked from the moment the next version was
 *   created (a rotation or rollback); the current version of a revoked key from the
 *   revocation (`updatedAt`); due `revoked_versions_days` later (never when null).
 *
 * The current version of an active key is never due; purged versions are never due again.
 * Caveat: a rollback generation holds a copy of an older version's material, so purging
 * the older version does not wipe the copy (it is purged on its own schedule).
 */

import type { KeyRecord, SealedVersion } from "../domain/records.ts";
import type { RetentionClass } from "./retention_classes.ts";

const DAY_MS = 24 * 3600 * 1000;

/** A version past its retention window. */
export interface DueVersion {
  readonly version: number;
  /** When it became due. */
  readonly dueAt: Date;
}

/** The versions of `record` whose material is due for purging at `now`, ascending. */
export function dueVersions(
  record: KeyRecord,
  versions: readonly SealedVersion[],
  rules: RetentionClass,
  now: Date,
): DueVersion[] {
  const live = [...versions].filter((v) => v.purgedAt === undefined)
    .sort((a, b) => a.version - b.version);
  if (live.length === 0 || record.state === "staged") return [];
  const due: DueVersion[] = [];
  if (record.state === "destroyed") {
    const dueAt = after(record.updatedAt, rules.destroyedKeysDays);
    if (dueAt !== undefined && dueAt <= now) {
      for (const v of live) due.push({ version: v.version, dueAt });
    }
    return due;
  }
  if (rules.revokedVersionsDays === null) return [];
  const created = new Map(versions.map((v) => [v.version, v.createdAt]));
  for (const v of live) {
    const revokedAt = v.version < record.currentVersion
      ? firstCreatedAfter(created, v.version, record.currentVersion)
      : record.state === "revoked"
      ? record.updatedAt
      : undefined;
    const dueAt = revokedAt === undefined ? undefined : after(revokedAt, rules.revokedVersionsDays);
    if (dueAt !== undefined && dueAt <= now) due.push({ version: v.version, dueAt });
  }
  return due;
}

/** The creation time of the first version after `version` (the one that revoked it). */
function firstCreatedAfter(
  created: ReadonlyMap<number, string>,
  version: number,
  current: number,
): string | undefined {
  for (let n = version + 1; n <= current; n++) {
    const at = created.get(n);
    if (at !== undefined) return at;
  }
  return undefined;
}

function after(iso: string, days: number): Date | undefined {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? undefined : new Date(at + days * DAY_MS);
}
