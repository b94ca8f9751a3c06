/**
 * The contract of `/api/v1/approvals`: the approval object and the list query.
 */

import { z } from "zod";
import { APPROVABLE_ACTIONS } from "../domain/approvals.ts";
import { APPROVAL_STATES } from "../domain/records.ts";
import { timestamp } from "./common.ts";

/** `GET /api/v1/approvals` query: a state filter and pages (`limit` is `per_page`). */
export const ListApprovalsQuery = z.strictObject({
  state: z.enum(APPROVAL_STATES).optional(),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  per_page: z.coerce.number().int().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

/** A dual-control request. */
export const Approval = z.strictObject({
  id: z.string(),
  action: z.enum(APPROVABLE_ACTIONS),
  key_id: z.string().nullable(),
  requested_by: z.string(),
  approvals: z.array(z.strictObject({ actor: z.string(), at: timestamp })),
  quorum: z.number().int().min(1),
  state: z.enum(APPROVAL_STATES),
  created_at: timestamp,
  expires_at: timestamp,
  /** What the approvers decide on, for policy changes and purges (never key material). */
  params: z.record(z.string(), z.unknown()).optional(),
});

/** `GET /api/v1/approvals` answer: one page, oldest first. */
export const ApprovalList = z.strictObject({
  items: z.array(Approval),
  page: z.number().int().min(1),
  per_page: z.number().int().min(1),
  total: z.number().int().min(0),
});

/** The approval object as clients read it. */
export type ApprovalJson = z.output<typeof Approval>;
