/**
 * A stored policy script as every layer sees it: one immutable row per version of a
 * policy, the latest version being the policy in force (or, with `deleted`, its
 * tombstone). Plain data; the policy engine (`src/policy/`) compiles and runs scripts, the
 * policy service changes them under audit and dual control, stores persist every version
 * so an auditor can read which script decided what, and when.
 *
 * Integrity: each version carries an HMAC (the record MAC key, its own domain label) over
 * every field including the script, and each version is journaled in the audit chain
 * (`RecordRef` kind `policy`, revision = version), so an edited, replayed or deleted row
 * is detected when policies are loaded.
 */

/** One version of a stored policy. */
export interface PolicyVersionRecord {
  /** Service-generated id (`[A-Za-z0-9_-]{1,64}`). */
  readonly id: string;
  /** 1 for the first version, +1 for every update or deletion (the journal revision). */
  readonly version: number;
  readonly name: string;
  /** JavaScript whose default export decides (see `src/policy/policy_types.ts`). */
  readonly script: string;
  /** SHA-256 (lowercase hex) of the script's UTF-8 bytes. */
  readonly digest: string;
  /** The scope as the API gave it (`actions`, `roles`, `key_ids`, `key_tags`). */
  readonly scope: Readonly<Record<string, unknown>>;
  /** True for the tombstone a deletion writes; the policy no longer applies. */
  readonly deleted: boolean;
  /** When version 1 was written. */
  readonly createdAt: string;
  /** When this version was written. */
  readonly updatedAt: string;
  /** Who asked for this version. */
  readonly author: string;
  /** The approval that allowed this version under dual control, or null. */
  readonly approvalId: string | null;
  /** HMAC-SHA-384 (base64) over every other field. */
  readonly mac: string;
}

/** The journal's view of a policy version (`revision` is the version number). */
export function policyJournalRecord(
  record: PolicyVersionRecord,
): { readonly id: string; readonly revision: number; readonly mac: string } {
  return { id: record.id, revision: record.version, mac: record.mac };
}
