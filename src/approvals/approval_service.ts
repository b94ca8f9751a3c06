/**
 * Dual control. A sensitive action (key destruction, activation of a dual-control key)
 * becomes a pending approval that other actors decide. The requester never approves
 * its own request, one actor counts once, a denial ends the request, and a request
 * past its expiry can never execute. When the quorum is reached the action executes
 * and the audit entry names every approver.
 */

import { HsmError } from "../domain/errors.ts";
import type { ApprovalStore } from "../storage/ports.ts";
import type { ApprovalRecord, ApprovalState } from "../domain/records.ts";
import type { Actor, Guard, GuardedOp } from "../access/guard.ts";
import { ApprovalPolicy } from "./approval_policy.ts";
import { type ApprovableAction } from "../domain/approvals.ts";
import { KeyLocks } from "../util/keyed_locks.ts";

/** Runs an approved action; returns nothing (its effect is in the stores). */
export type ApprovalExecutor = (approval: ApprovalRecord) => Promise<unknown>;

/** One executor for every approvable action (the compiler checks none is missing). */
export type ApprovalExecutors = Readonly<Record<ApprovableAction, ApprovalExecutor>>;

/** Options of the approval service. */
export interface ApprovalServiceOptions {
  readonly store: ApprovalStore;
  readonly guard: Guard;
  /** How each action executes once approved. */
  readonly executors: ApprovalExecutors;
  /** Which actions need approval, their quorum and the pending lifetime (default 24 h, quorum 1). */
  readonly policy?: ApprovalPolicy;
  readonly clock?: () => Date;
  readonly newId?: () => string;
}

/** Creates, decides and executes dual-control requests. */
export class ApprovalService {
  #store: ApprovalStore;
  #guard: Guard;
  #policy: ApprovalPolicy;
  #clock: () => Date;
  #newId: () => string;
  #executors: ApprovalExecutors;
  #locks = new KeyLocks();

  constructor(options: ApprovalServiceOptions) {
    this.#store = options.store;
    this.#guard = options.guard;
    this.#executors = options.executors;
    this.#policy = options.policy ?? new ApprovalPolicy();
    this.#clock = options.clock ?? (() => new Date());
    this.#newId = options.newId ?? (() => crypto.randomUUID());
  }

  /** True when `action` must wait for approvers under the configured policy. */
  requires(action: ApprovableAction): boolean {
    return this.#policy.requires(action);
  }

  /** Opens a pending request (the caller has authorized and audited the request). */
  async request(
    requester: Actor,
    action: ApprovableAction,
    keyId: string | null,
    params: Record<string, unknown> = {},
  ): Promise<ApprovalRecord> {
    const now = this.#clock();
    const record: ApprovalRecord = {
      id: this.#newId(),
      action,
      keyId,
      requestedBy: requester.id,
      approvals: [],
      quorum: Math.max(1, this.#policy.quorum(action)),
      state: "pending",
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.#policy.ttlMs).toISOString(),
      params,
      revision: 1,
    };
    await this.#store.create(record);
    return record;
  }

  /** Lists approvals, optionally by state (expired ones show as `expired`). */
  list(actor: Actor, state?: ApprovalState): Promise<ApprovalRecord[]> {
    return this.#guard.run({ actor, action: "approval.list", payload: { state } }, async (op) => {
      op.authorize("approval:read");
      const items = (await this.#store.list()).map((a) => this.#withExpiry(a));
      return state === undefined ? items : items.filter((a) => a.state === state);
    });
  }

  /** Counts approvals by state (expired ones as `expired`); unaudited, for metrics. */
  async countByState(): Promise<Record<ApprovalState, number>> {
    const counts: Record<ApprovalState, number> = {
      pending: 0,
      approved: 0,
      denied: 0,
      executed: 0,
      expired: 0,
    };
    for (const record of await this.#store.list()) counts[this.#withExpiry(record).state]++;
    return counts;
  }

  /** Reads one approval. */
  get(actor: Actor, id: string): Promise<ApprovalRecord> {
    const request = { actor, action: "approval.read", payload: { approval_id: id } };
    return this.#guard.run(request, async (op) => {
      op.authorize("approval:read");
      return this.#withExpiry(await this.#load(id));
    });
  }

  /** Records an approval; executes the action when the quorum is met. */
  approve(actor: Actor, id: string): Promise<ApprovalRecord> {
    return this.#decide(actor, id, "approval.approve", async (record, op) => {
      if (record.requestedBy === actor.id) {
        throw new HsmError("forbidden", "Cannot approve your own request");
      }
      if (record.approvals.some((a) => a.actor === actor.id)) {
        throw new HsmError("conflict", `Cannot approve twice: ${actor.id} already approved`);
      }
      const approvals = [...record.approvals, {
        actor: actor.id,
        at: this.#clock().toISOString(),
      }];
      const met = approvals.length >= record.quorum;
      await op.commitPoint();
      const approved = await this.#save(record, { approvals, state: met ? "approved" : "pending" });
      if (!met) return approved;
      return await this.#execute(approved);
    });
  }

  /** Denies a request, ending it. */
  deny(actor: Actor, id: string): Promise<ApprovalRecord> {
    return this.#decide(actor, id, "approval.deny", async (record, op) => {
      await op.commitPoint();
      return await this.#save(record, { state: "denied" });
    });
  }

  #decide(
    actor: Actor,
    id: string,
    action: string,
    fn: (record: ApprovalRecord, op: GuardedOp) => Promise<ApprovalRecord>,
  ): Promise<ApprovalRecord> {
    return this.#locks.with(id, async () => {
      const existing = await this.#store.get(id);
      const keyId = existing?.keyId ?? null;
      const request = { actor, action, keyId, payload: { approval_id: id } };
      return await this.#guard.run(request, async (op) => {
        op.authorize("approval:decide");
        const record = await this.#load(id);
        if (this.#withExpiry(record).state === "expired") {
          if (record.state === "pending") await this.#save(record, { state: "expired" });
          throw new HsmError("invalid_state", `Cannot decide approval ${id}: it has expired`);
        }
        if (record.state !== "pending") {
          throw new HsmError(
            "invalid_state",
            `Cannot decide approval ${id}: it is ${record.state}`,
          );
        }
        return await fn(record, op);
      });
    });
  }

  async #execute(approved: ApprovalRecord): Promise<ApprovalRecord> {
    const executor = this.#executors[approved.action];
    const approvers = approved.approvals.map((a) => a.actor);
    const executorActor: Actor = { id: approvers.join("+"), roles: [] };
    // The execution is its own audit entry naming every approver (and the requester).
    await this.#guard.run(
      {
        actor: executorActor,
        action: `${approved.action}.execute`,
        keyId: approved.keyId,
        payload: { approval_id: approved.id, requested_by: approved.requestedBy, approvers },
      },
      async (op) => {
        await op.commitPoint();
        await executor(approved);
      },
    );
    return await this.#save(approved, { state: "executed" });
  }

  async #load(id: string): Promise<ApprovalRecord> {
    const record = await this.#store.get(id);
    if (record === undefined) throw new HsmError("not_found", `Approval ${id} not found`);
    return record;
  }

  async #save(
    record: ApprovalRecord,
    change: Partial<Pick<ApprovalRecord, "approvals" | "state">>,
  ): Promise<ApprovalRecord> {
    const next = { ...record, ...change, revision: record.revision + 1 };
    await this.#store.update(next);
    return next;
  }

  #withExpiry(record: ApprovalRecord): ApprovalRecord {
    const expired = record.state === "pending" &&
      Date.parse(record.expiresAt) <= this.#clock().getTime();
    return expired ? { ...record, state: "expired" } : record;
  }
}
