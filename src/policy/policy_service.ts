/**
 * Policies as callers manage them: list, read, version history, create, update, delete
 * and dry-run, each authorized and audited through the Guard. Changes need
 * `policy:update` (Administrators by default), reads `policy:read`; when the approval
 * policy lists `policy.create`, `policy.update` or `policy.delete`, the change becomes an
 * approval whose parameters carry the whole draft (MAC'd with the approval), executed by
 * `policyApprovalExecutors` once approved. A script is checked in the sandbox (it must
 * compile and export a function) before it is stored or put up for approval.
 *
 * Audit: a change's entry journals the new policy version (`policy:<id>@<version>`), and
 * its payload hash is over `{policy_id, name, digest, scope}` (the script's SHA-256), so
 * the digest in the version history can be checked against the log. Policies from the
 * signed configuration bundle are listed with `source: "bundle"` and cannot be changed
 * through the API.
 */

import type { Actor, Guard } from "../access/guard.ts";
import type { ApprovalExecutors, ApprovalService } from "../approvals/approval_service.ts";
import { HsmError } from "../domain/errors.ts";
import type { PolicyVersionRecord } from "../domain/policies.ts";
import type { ApprovalRecord } from "../domain/records.ts";
import type { PolicyStore } from "../storage/ports.ts";
import { parseSampleContext } from "./policy_context.ts";
import { checkScriptSize, policyDigest, type PolicyEngine } from "./policy_engine.ts";
import { parsePolicyScope, type PolicyRecord, type ScriptOutcome } from "./policy_types.ts";
import type { PolicyCommit, PolicyDraft, PolicyWrites } from "./policy_writes.ts";

/** A policy as the API shows it: a stored version, or a bundle policy. */
export type PolicyView =
  | { readonly source: "api"; readonly record: PolicyVersionRecord }
  | { readonly source: "bundle"; readonly record: PolicyRecord };

/** The outcome of a change that may be held for approval (HTTP 200/201 or 202). */
export type PolicyChange =
  | { readonly policy: PolicyVersionRecord; readonly approval?: undefined }
  | { readonly policy?: undefined; readonly approval: ApprovalRecord };

/** Dependencies of the policy service. */
export interface PolicyServiceOptions {
  readonly guard: Guard;
  readonly approvals: ApprovalService;
  readonly writes: PolicyWrites;
  readonly store: PolicyStore;
  readonly engine: PolicyEngine;
  /** The zone of a dry run's clock fields (`--policy-time-zone`). */
  readonly timeZone?: string;
}

/** The guarded management of policies. */
export class PolicyService {
  readonly #guard: Guard;
  readonly #approvals: ApprovalService;
  readonly #writes: PolicyWrites;
  readonly #store: PolicyStore;
  readonly #engine: PolicyEngine;
  readonly #timeZone: string;

  constructor(options: PolicyServiceOptions) {
    this.#guard = options.guard;
    this.#approvals = options.approvals;
    this.#writes = options.writes;
    this.#store = options.store;
    this.#engine = options.engine;
    this.#timeZone = options.timeZone ?? "UTC";
  }

  /** Every policy in force: the bundle's, then the stored ones (deleted ones left out). */
  list(actor: Actor): Promise<PolicyView[]> {
    return this.#guard.run({ actor, action: "policy.list" }, async (op) => {
      op.authorize("policy:read");
      const views: PolicyView[] = this.#writes.bundle.map((record) => ({
        source: "bundle",
        record,
      }));
      for (const row of await this.#store.list()) {
        if (row.deleted) continue;
        views.push({ source: "api", record: await this.#writes.verify(row) });
      }
      return views;
    });
  }

  /** One policy (a deleted policy reads as its tombstone). */
  get(actor: Actor, id: string): Promise<PolicyView> {
    return this.#guard.run({ actor, action: "policy.read", payload: { policy_id: id } }, (op) => {
      op.authorize("policy:read");
      return this.#view(id);
    });
  }

  /** Every stored version of a policy, oldest first. */
  versions(actor: Actor, id: string): Promise<PolicyVersionRecord[]> {
    const request = { actor, action: "policy.versions", payload: { policy_id: id } };
    return this.#guard.run(request, async (op) => {
      op.authorize("policy:read");
      const rows = await this.#store.versions(id);
      if (rows.length === 0) throw new HsmError("not_found", `Policy ${id} not found`);
      for (const row of rows.slice(0, -1)) await this.#writes.verifyVersion(row);
      await this.#writes.verify(rows[rows.length - 1] as PolicyVersionRecord);
      return rows;
    });
  }

  /** Creates a policy, or opens a `policy.create` approval. */
  create(actor: Actor, draft: PolicyDraft): Promise<PolicyChange> {
    return this.#change(actor, "policy.create", null, draft, async (commit) => {
      return await this.#writes.create(draft, { author: actor.id, approvalId: null }, commit);
    });
  }

  /** Replaces a policy's name, script and scope (a new version), or opens an approval. */
  update(actor: Actor, id: string, draft: PolicyDraft): Promise<PolicyChange> {
    return this.#change(actor, "policy.update", id, draft, async (commit, base) => {
      const by = { author: actor.id, approvalId: null };
      return await this.#writes.update(id, base, draft, by, commit);
    });
  }

  /** Deletes a policy (a tombstone version), or opens a `policy.delete` approval. */
  remove(actor: Actor, id: string): Promise<PolicyChange> {
    return this.#change(actor, "policy.delete", id, undefined, async (commit, base) => {
      return await this.#writes.remove(id, base, { author: actor.id, approvalId: null }, commit);
    });
  }

  /** Runs a policy on a sample context; nothing is stored. */
  dryRun(actor: Actor, id: string, sample: unknown): Promise<ScriptOutcome> {
    const request = { actor, action: "policy.dry_run", payload: { policy_id: id } };
    return this.#guard.run(request, async (op) => {
      op.authorize("policy:update");
      const view = await this.#view(id);
      if (view.source === "api" && view.record.deleted) {
        throw new HsmError("invalid_state", `Cannot dry-run policy ${id}: it was deleted`);
      }
      const ctx = parseSampleContext(sample, this.#timeZone);
      return await this.#engine.dryRun(view.record.script, ctx);
    });
  }

  async #view(id: string): Promise<PolicyView> {
    const bundled = this.#writes.bundle.find((p) => p.id === id);
    if (bundled !== undefined) return { source: "bundle", record: bundled };
    return { source: "api", record: await this.#writes.latest(id) };
  }

  #change(
    actor: Actor,
    action: "policy.create" | "policy.update" | "policy.delete",
    id: string | null,
    draft: PolicyDraft | undefined,
    write: (commit: PolicyCommit, base: number | undefined) => Promise<PolicyVersionRecord>,
  ): Promise<PolicyChange> {
    const summary = draft === undefined
      ? { policy_id: id }
      : { policy_id: id, name: draft.name, digest: policyDigest(draft.script), scope: draft.scope };
    return this.#guard.run({ actor, action, payload: summary }, async (op) => {
      op.authorize("policy:update");
      if (id !== null && this.#writes.bundle.some((p) => p.id === id)) {
        throw new HsmError(
          "conflict",
          `Cannot change policy ${id}: it comes from the configuration bundle`,
        );
      }
      let base: number | undefined;
      if (id !== null) {
        const current = await this.#writes.latest(id);
        if (current.deleted) {
          throw new HsmError("invalid_state", `Cannot change policy ${id}: it was deleted`);
        }
        base = current.version;
      }
      if (draft !== undefined) await this.#engine.validate(draft.script);
      if (this.#approvals.requires(action)) {
        const params = {
          ...(id === null ? {} : { policy_id: id, base_version: base }),
          ...(draft === undefined
            ? {}
            : { name: draft.name, script: draft.script, scope: draft.scope }),
          ...(draft === undefined ? {} : { digest: policyDigest(draft.script) }),
        };
        const approval = await this.#approvals.request(
          actor,
          action,
          null,
          params,
          (refs) => op.commitPoint(refs),
        );
        return { approval };
      }
      return { policy: await write((refs) => op.commitPoint(refs), base) };
    });
  }
}

/** The approvable policy actions. */
export type PolicyApprovableAction = "policy.create" | "policy.update" | "policy.delete";

/** How approved policy changes execute: the draft comes from the MAC'd approval. */
export function policyApprovalExecutors(
  writes: PolicyWrites,
): Pick<ApprovalExecutors, PolicyApprovableAction> {
  const by = (a: ApprovalRecord) => ({ author: a.requestedBy, approvalId: a.id });
  return {
    "policy.create": (a, commit) => writes.create(draftOf(a), by(a), commit),
    "policy.update": (a, commit) =>
      writes.update(policyIdOf(a), baseOf(a), draftOf(a), by(a), commit),
    "policy.delete": (a, commit) => writes.remove(policyIdOf(a), baseOf(a), by(a), commit),
  };
}

function draftOf(a: ApprovalRecord): PolicyDraft {
  const { name, script, scope } = a.params;
  if (typeof name !== "string" || typeof script !== "string") {
    throw new HsmError("integrity_error", `Approval ${a.id} carries no policy draft`);
  }
  checkScriptSize(script);
  return { name, script, scope: parsePolicyScope(scope ?? {}) };
}

function policyIdOf(a: ApprovalRecord): string {
  const id = a.params.policy_id;
  if (typeof id !== "string") {
    throw new HsmError("integrity_error", `Approval ${a.id} names no policy`);
  }
  return id;
}

function baseOf(a: ApprovalRecord): number | undefined {
  const base = a.params.base_version;
  return typeof base === "number" ? base : undefined;
}
