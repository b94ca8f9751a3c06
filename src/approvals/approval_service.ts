/**
 * Dual control. A sensitive action (key destruction, activation of a dual-control key,
 * rotation or rollback when the policy says so) becomes a pending approval that other
 * actors decide. The requester never approves its own request, one actor counts once, a
 * denial ends the request, a request past its expiry can never execute, and at most one
 * request per action and key is pending at a time (a second one is a `conflict`). When
 * the quorum is reached the action executes and its audit entry names every approver.
 *
 * Approvals are MAC'd at rest (every field that matters) and journaled like key records,
 * so an edited or replayed approval row answers `integrity_error` and never executes.
 */

import type { Actor, Guard, GuardedOp } from "../access/guard.ts";
import { type RecordJournal, refOf } from "../audit/record_journal.ts";
import type { ApprovableAction } from "../domain/approvals.ts";
import type { RecordRef } from "../domain/audit_entry.ts";
import { HsmError } from "../domain/errors.ts";
import type { ApprovalRecord, ApprovalState } from "../domain/records.ts";
import type { ApprovalStore } from "../storage/ports.ts";
import { KeyLocks } from "../util/keyed_locks.ts";
import { ApprovalPolicy, type ApprovalRules } from "./approval_policy.ts";

/** Journals record revisions at the executing entry's commit point. */
export type ExecutionCommit = (records: readonly RecordRef[]) => Promise<void>;

/**
 * Runs an approved action: it must call `commit` with the record revisions it writes,
 * right before writing them.
 */
export type ApprovalExecutor = (
  approval: ApprovalRecord,
  commit: ExecutionCommit,
) => Promise<unknown>;

/** One executor for every approvable action (the compiler checks none is missing). */
export type ApprovalExecutors = Readonly<Record<ApprovableAction, ApprovalExecutor>>;

/** MACs approvals and checks them (the Sealer). */
export interface ApprovalSealer {
  macApproval(approval: Omit<ApprovalRecord, "mac">): ApprovalRecord;
  verifyApproval(approval: ApprovalRecord): Promise<ApprovalRecord>;
}

/** Options of the approval service. */
export interface ApprovalServiceOptions {
  readonly store: ApprovalStore;
  readonly guard: Guard;
  readonly sealer: ApprovalSealer;
  readonly journal: RecordJournal;
  /** How each action executes once approved. */
  readonly executors: ApprovalExecutors;
  /** Which actions need approval, their quorum and the pending lifetime (default 24 h, quorum 1). */
  readonly policy?: ApprovalRules;
  readonly clock?: () => Date;
  readonly newId?: () => string;
}

/** A page of approvals. */
export interface ApprovalListPage {
  readonly items: ApprovalRecord[];
  readonly total: number;
}

/** Creates, decides and executes dual-control requests. */
export class ApprovalService {
  #store: ApprovalStore;
  #guard: Guard;
  #sealer: ApprovalSealer;
  #journal: RecordJournal;
  #policy: ApprovalRules;
  #clock: () => Date;
  #newId: () => string;
  #executors: ApprovalExecutors;
  #locks = new KeyLocks();

  constructor(options: ApprovalServiceOptions) {
    this.#store = options.store;
    this.#guard = options.guard;
    this.#sealer = options.sealer;
    this.#journal = options.journal;
    this.#executors = options.executors;
    this.#policy = options.policy ?? new ApprovalPolicy();
    this.#clock = options.clock ?? (() => new Date());
    this.#newId = options.newId ?? (() => crypto.randomUUID());
  }

  /** True when `action` must wait for approvers under the configured policy. */
  requires(action: ApprovableAction): boolean {
    return this.#policy.requires(action);
  }

  /**
   * Opens a pending request. `commit` runs once the request is built and must make the
   * caller's audit entry durable, journaling the refs it is given (plus any record the
   * caller writes with it, which it writes before returning); the request is stored
   * after it. The caller has authorized the request.
   * @throws HsmError("conflict") when a request for this action and key is pending
   */
  request(
    requester: Actor,
    action: ApprovableAction,
    keyId: string | null,
    params: Record<string, unknown>,
    commit: (records: readonly RecordRef[]) => Promise<void>,
  ): Promise<ApprovalRecord> {
    return this.#locks.with(`${action}|${keyId}`, async () => {
      const now = this.#clock();
      const pending = await this.#store.list({
        state: "pending",
        action,
        ...(keyId === null ? {} : { keyId }),
        now: now.toISOString(),
        offset: 0,
        limit: 1,
      });
      const open = pending.items.find((a) => a.keyId === keyId);
      if (open !== undefined) {
        throw new HsmError(
          "conflict",
          `Cannot request ${action} for key ${keyId}: approval ${open.id} is already pending`,
        );
      }
      const record = this.#sealer.macApproval({
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
      });
      await commit([refOf("approval", record)]);
      // A store shared by several nodes checks "one pending request" again, atomically
      // (the lock and the check above only cover this process).
      if (this.#store.createExclusive !== undefined) await this.#store.createExclusive(record);
      else await this.#store.create(record);
      this.#journal.settle(refOf("approval", record));
      return record;
    });
  }

  /** Lists approvals, optionally by state (expired ones show as `expired`), a page at a time. */
  list(
    actor: Actor,
    query: {
      readonly state?: ApprovalState;
      readonly keyId?: string;
      readonly offset: number;
      readonly limit: number;
    },
  ): Promise<ApprovalListPage> {
    const payload = {
      state: query.state,
      key_id: query.keyId,
      offset: query.offset,
      limit: query.limit,
    };
    return this.#guard.run({ actor, action: "approval.list", payload }, async (op) => {
      op.authorize("approval:read");
      const page = await this.#store.list({ ...query, now: this.#clock().toISOString() });
      for (const item of page.items) await this.#verify(item);
      return { items: page.items.map((a) => this.#withExpiry(a)), total: page.total };
    });
  }

  /**
   * The most recent request for `action` on `keyId`, integrity-checked, with its expiry
   * applied; unaudited, for services that follow their own requests (retention).
   */
  async latestFor(action: ApprovableAction, keyId: string): Promise<ApprovalRecord | undefined> {
    const query = { action, keyId, now: this.#clock().toISOString(), offset: 0, limit: 0 };
    const { total } = await this.#store.list(query);
    if (total === 0) return undefined;
    const page = await this.#store.list({ ...query, offset: total - 1, limit: 1 });
    const last = page.items[0];
    return last === undefined ? undefined : this.#withExpiry(await this.#verify(last));
  }

  /** Counts approvals by state (expired ones as `expired`); unaudited, for metrics. */
  countByState(): Promise<Record<ApprovalState, number>> {
    return this.#store.countByState(this.#clock().toISOString());
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
      const next = await this.#next(record, { approvals, state: met ? "approved" : "pending" });
      await op.commitPoint([refOf("approval", next)]);
      await this.#write(next);
      if (!met) return next;
      return await this.#execute(next);
    });
  }

  /** Denies a request, ending it. */
  deny(actor: Actor, id: string): Promise<ApprovalRecord> {
    return this.#decide(actor, id, "approval.deny", async (record, op) => {
      const next = await this.#next(record, { state: "denied" });
      await op.commitPoint([refOf("approval", next)]);
      await this.#write(next);
      return next;
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
    const executed = await this.#next(approved, { state: "executed" });
    // The execution is its own audit entry; its actor is the list of approvers (a JSON
    // array, which no token subject can be: see auth/jwt.ts) and the payload names the
    // requester, so the entry records exactly who decided.
    await this.#guard.run(
      {
        actor: { id: JSON.stringify(approvers), roles: [] },
        action: `${approved.action}.execute`,
        keyId: approved.keyId,
        payload: { approval_id: approved.id, requested_by: approved.requestedBy, approvers },
      },
      async (op) => {
        await executor(
          approved,
          (records) => op.commitPoint([...records, refOf("approval", executed)]),
        );
        await this.#write(executed);
      },
    );
    return executed;
  }

  /** Reads and checks one approval. @throws HsmError("not_found" | "integrity_error") */
  async #load(id: string): Promise<ApprovalRecord> {
    const record = await this.#store.get(id);
    if (record === undefined) throw new HsmError("not_found", `Approval ${id} not found`);
    return await this.#verify(record);
  }

  async #verify(record: ApprovalRecord): Promise<ApprovalRecord> {
    await this.#sealer.verifyApproval(record);
    await this.#journal.verify("approval", record);
    return record;
  }

  #next(
    record: ApprovalRecord,
    change: Partial<Pick<ApprovalRecord, "approvals" | "state">>,
  ): ApprovalRecord {
    const { mac: _mac, ...rest } = record;
    return this.#sealer.macApproval({ ...rest, ...change, revision: record.revision + 1 });
  }

  /** Stores `next` (already journaled by a commit point). */
  async #write(next: ApprovalRecord): Promise<void> {
    await this.#store.update(next);
    this.#journal.settle(refOf("approval", next));
  }

  #withExpiry(record: ApprovalRecord): ApprovalRecord {
    const expired = record.state === "pending" &&
      Date.parse(record.expiresAt) <= this.#clock().getTime();
    return expired ? { ...record, state: "expired" } : record;
  }
}
