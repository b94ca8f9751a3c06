/**
 * The API's JSON shapes as the CLI reads them (contract field names). Only what the
 * tables show is typed; `--json` prints the server's answer untouched.
 */

/** A key object. */
export interface KeyJson {
  readonly id: string;
  readonly name: string;
  readonly algorithm: string;
  readonly usage: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly state: string;
  readonly current_version: number;
  readonly dual_control?: boolean;
  readonly created_at: string;
  readonly updated_at: string;
}

/** A page of keys. */
export interface KeyPageJson {
  readonly items: readonly KeyJson[];
  readonly page: number;
  readonly per_page: number;
  readonly total: number;
}

/** One version of a key. */
export interface VersionJson {
  readonly version: number;
  readonly state: string;
  readonly created_at: string;
  readonly source_version?: number;
}

/** A dual-control approval. */
export interface ApprovalJson {
  readonly id: string;
  readonly action: string;
  readonly key_id: string | null;
  readonly requested_by: string;
  readonly approvals: readonly { readonly actor: string; readonly at: string }[];
  readonly quorum: number;
  readonly state: string;
  readonly created_at: string;
  readonly expires_at: string;
}

/** One audit entry. */
export interface AuditEntryJson {
  readonly seq: number;
  readonly ts: string;
  readonly actor: string;
  readonly action: string;
  readonly key_id: string | null;
  readonly result: string;
}

/** `GET /api/v1/audit/verify` and offline verification. */
export type VerifyJson =
  | { readonly valid: true; readonly entries: number; readonly head: string }
  | { readonly valid: false; readonly first_bad_seq: number; readonly reason: string };

/** The answer of a change that may need approval: the key, or an approval (202). */
export function isApproval(body: unknown): body is ApprovalJson {
  return typeof body === "object" && body !== null && "quorum" in body && "action" in body;
}
