/**
 * The contract of `/api/v1/audit`: entries, paging, and the verification result.
 */

import { z } from "zod";
import { VERIFY_FAILURE_REASONS } from "../domain/audit_entry.ts";
import { timestamp } from "./common.ts";

/** `GET /api/v1/audit` query. */
export const ListAuditQuery = z.strictObject({
  after_seq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** One audit entry. */
export const AuditEntry = z.strictObject({
  seq: z.number().int().min(1),
  ts: timestamp,
  actor: z.string(),
  action: z.string(),
  key_id: z.string().nullable(),
  result: z.string(),
  payload_hash: hex64,
  prev_hash: hex64,
  mac: z.string().regex(/^[0-9a-f]{96}$/),
  /** Record revisions the entry commits (`kind:id@revision:digest`, space separated). */
  records: z.string().optional(),
  /** The request's `X-Request-Id`, on entries written for an HTTP request. */
  request_id: z.string().optional(),
});

/** `GET /api/v1/audit` answer. */
export const AuditList = z.strictObject({ items: z.array(AuditEntry) });

/** `GET /api/v1/audit/verify` answer (and the offline verifier's result). */
export const AuditVerification = z.union([
  z.strictObject({ valid: z.literal(true), entries: z.number().int().min(0), head: hex64 }),
  z.strictObject({
    valid: z.literal(false),
    first_bad_seq: z.number().int().min(0),
    reason: z.enum(VERIFY_FAILURE_REASONS),
  }),
]);

/** An audit entry as clients read it. */
export type AuditEntryJson = z.output<typeof AuditEntry>;
/** A verification result as clients read it. */
export type AuditVerificationJson = z.output<typeof AuditVerification>;
