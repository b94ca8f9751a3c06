/**
 * Which actions need dual control, and how many approvers each needs. Loaded once at
 * start-up from an optional JSON file (`--approval-policy F`) and validated:
 *
 * ```json
 * { "ttl_seconds": 86400,
 *   "actions": { "key.destroy": { "quorum": 2 }, "key.rotate": { "quorum": 1 } } }
 * ```
 *
 * Key destruction always needs approval (it cannot be switched off) and activation of
 * a key created with `dual_control: true` always does; rotation and rollback need it
 * only when listed. `quorum` counts approvers besides the requester (default 1).
 */

import { z } from "zod";
import { HsmError } from "../domain/errors.ts";
import { APPROVABLE_ACTIONS, type ApprovableAction } from "../domain/approvals.ts";

const ALWAYS: readonly ApprovableAction[] = ["key.destroy", "key.activate"];

const schema = z.strictObject({
  ttl_seconds: z.number().int().min(1).max(30 * 24 * 3600).optional(),
  actions: z.partialRecord(
    z.enum(APPROVABLE_ACTIONS),
    z.strictObject({ quorum: z.number().int().min(1).max(16) }),
  ).optional(),
});

/** What the approval service asks a dual-control policy (reloadable holders implement it). */
export interface ApprovalRules {
  /** How long a pending request lives, in ms. */
  readonly ttlMs: number;
  /** True when `action` must go through an approval. */
  requires(action: ApprovableAction): boolean;
  /** Approvers needed besides the requester. */
  quorum(action: string): number;
}

/** The validated dual-control policy. */
export class ApprovalPolicy implements ApprovalRules {
  readonly ttlMs: number;
  #quorum: ReadonlyMap<ApprovableAction, number>;

  constructor(ttlMs = 24 * 3600 * 1000, quorum: ReadonlyMap<ApprovableAction, number> = new Map()) {
    this.ttlMs = ttlMs;
    this.#quorum = quorum;
  }

  /** True when `action` must go through an approval. */
  requires(action: ApprovableAction): boolean {
    return ALWAYS.includes(action) || this.#quorum.has(action);
  }

  /** Approvers needed besides the requester. */
  quorum(action: string): number {
    return this.#quorum.get(action as ApprovableAction) ?? 1;
  }
}

/**
 * Parses a policy document.
 * @throws HsmError("invalid_request") naming the offending field
 */
export function parseApprovalPolicy(text: string, source = "(inline)"): ApprovalPolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HsmError("invalid_request", `Invalid approval policy ${source}: not JSON`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new HsmError(
      "invalid_request",
      `Invalid approval policy ${source}: ${
        issue?.path.join(".") || "document"
      }: ${issue?.message}`,
    );
  }
  const quorum = new Map<ApprovableAction, number>();
  for (const [action, rule] of Object.entries(result.data.actions ?? {})) {
    if (rule !== undefined) quorum.set(action as ApprovableAction, rule.quorum);
  }
  const ttl = result.data.ttl_seconds;
  return new ApprovalPolicy(ttl === undefined ? undefined : ttl * 1000, quorum);
}

/** Loads the policy file, or the default policy when no path is given. */
export async function loadApprovalPolicy(path?: string): Promise<ApprovalPolicy> {
  if (path === undefined) return new ApprovalPolicy();
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new HsmError(
      "invalid_request",
      `Cannot read the approval policy ${path}: ${err instanceof Error ? err.name : "error"}`,
    );
  }
  return parseApprovalPolicy(text, path);
}
