/**
 * The contract of `/api/v1/policies`: the create/update body (a name, a script whose
 * default export decides, a scope), the policy object, version history, and the
 * dry run against a sample context.
 */

import { z } from "zod";
import {
  MAX_SCRIPT_BYTES,
  policyScopeSchema,
  sampleContextSchema,
} from "../policy/policy_types.ts";
import { timestamp, versionNumber } from "./common.ts";

/** Policy names: 1–128 printable characters. */
const policyName = z.string().min(1).max(128).regex(/^[^\p{Cc}]+$/u, "no control characters");

/** `POST /api/v1/policies` and `PUT /api/v1/policies/:id` body. */
export const PolicyRequest = z.strictObject({
  name: policyName,
  /** JavaScript; its default export gets the frozen context and returns true, false or {deny}. */
  script: z.string().min(1).max(MAX_SCRIPT_BYTES),
  scope: policyScopeSchema.default({}),
});

/** Where a policy comes from: the API (stored, versioned) or the signed configuration bundle. */
export const PolicySource = z.enum(["api", "bundle"]);

/** A policy. `script` is given when one policy is read. */
export const Policy = z.strictObject({
  id: z.string(),
  name: z.string(),
  /** SHA-256 (hex) of the script. */
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  scope: policyScopeSchema,
  version: versionNumber,
  source: PolicySource,
  deleted: z.boolean(),
  created_at: timestamp.optional(),
  updated_at: timestamp.optional(),
  /** Who asked for this version. */
  author: z.string().optional(),
  script: z.string().optional(),
});

/** `GET /api/v1/policies` answer. */
export const PolicyList = z.strictObject({ items: z.array(Policy) });

/** One stored version of a policy. */
export const PolicyVersion = z.strictObject({
  version: versionNumber,
  name: z.string(),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  scope: policyScopeSchema,
  deleted: z.boolean(),
  updated_at: timestamp,
  author: z.string(),
  /** The approval that allowed this version, when it was held for dual control. */
  approval_id: z.string().nullable(),
  script: z.string(),
});

/** `GET /api/v1/policies/:id/versions` answer. */
export const PolicyVersionList = z.strictObject({ items: z.array(PolicyVersion) });

/** `POST /api/v1/policies/:id/dry-run` body: a sample context (clock fields are derived). */
export const DryRunRequest = z.strictObject({ context: sampleContextSchema });

/** The dry run's decision. */
export const DryRunResponse = z.strictObject({
  allow: z.boolean(),
  reason: z.string().optional(),
  /** Why it denied: `denied`, `threw`, `timeout`, `memory`, `crashed`, `invalid_result`. */
  cause: z.string().optional(),
});

/** The policy object as clients read it. */
export type PolicyJson = z.output<typeof Policy>;
/** A policy version as clients read it. */
export type PolicyVersionJson = z.output<typeof PolicyVersion>;
