/**
 * The contract of `/api/v1/retention`: destruction receipts (the signed, hash-chained
 * ledger of wiped key versions), the attestation public key that verifies them, and the
 * report of a retention run.
 */

import { z } from "zod";
import { timestamp, versionNumber } from "./common.ts";

/** `GET /api/v1/retention/receipts` query: a cursor and a page size. */
export const ListReceiptsQuery = z.strictObject({
  after_seq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** One destruction receipt, exactly as the ledger holds it. */
export const Receipt = z.strictObject({
  seq: z.number().int().min(1),
  ts: timestamp,
  key_id: z.string(),
  version: versionNumber,
  /** SHA-256 (hex) of the sealed blob that was wiped. */
  material_digest: z.string().regex(/^[0-9a-f]{64}$/),
  /** Who approved the wipe (empty when the retention class needs no approval). */
  approvers: z.array(z.string()),
  approval_id: z.string().nullable(),
  retention_class: z.string(),
  /** `retention` (window passed) or `destroy` (wiped at destruction). */
  reason: z.enum(["retention", "destroy"]),
  /** SHA-256 (hex) of the previous receipt's line (64 zeros for the first). */
  prev_hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** Ed25519 signature (base64url) by the attestation key over the other fields. */
  signature: z.string(),
});

/** `GET /api/v1/retention/receipts` answer. */
export const ReceiptList = z.strictObject({ items: z.array(Receipt) });

/** `GET /api/v1/retention/attestation-key` answer: the Ed25519 public key. */
export const AttestationKey = z.strictObject({
  pem: z.string(),
  jwk: z.record(z.string(), z.unknown()),
});

/** What one retention run did. */
export const RetentionRunReport = z.strictObject({
  /** Keys looked at. */
  keys: z.number().int().min(0),
  /** Purge approvals opened. */
  opened: z.array(z.strictObject({
    key_id: z.string(),
    versions: z.array(versionNumber),
    approval_id: z.string(),
  })),
  /** Versions wiped, each with its receipt. */
  purged: z.array(z.strictObject({
    key_id: z.string(),
    version: versionNumber,
    receipt_seq: z.number().int().min(1),
  })),
  /** Versions past their window still waiting (for approvers, or for the grace period). */
  waiting: z.array(z.strictObject({
    key_id: z.string(),
    versions: z.array(versionNumber),
    approval_id: z.string(),
    until: timestamp.optional(),
  })),
  /** Audit entries moved to an archive, when audit retention is configured. */
  archived_audit_entries: z.number().int().min(0),
});

/** A receipt as clients read it. */
export type ReceiptJson = z.output<typeof Receipt>;
/** A run report as clients read it. */
export type RetentionRunJson = z.output<typeof RetentionRunReport>;
