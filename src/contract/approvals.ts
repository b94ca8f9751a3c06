/**
 * The contract of `/api/v1/approvals`: the approval object and the list query.
 */

import { z } from "zod";
import { APPROVABLE_ACTIONS } from "../domain/approvals.ts";
import { APPROVAL_STATES } from "../domain/records.ts";
import { timestamp } from "./common.ts";

/** `GET /api/v1/approvals` query. */
export const ListApprovalsQuery = z.strictObject({
  state: z.enum(APPROVAL_STATES).optional(),
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
});

/** `GET /api/v1/approvals` answer. */
export const ApprovalList = z.strictObject({ items: z.array(Approval) });

/** The approval object as clients read it. */
export type ApprovalJson = z.output<typeof Approval>;
