/**
 * The policy enforcement point shared by every service: authorizes an actor for an
 * action and writes the operation's audit entry, fail-closed. No result leaves a
 * guarded operation unless its audit entry is durable; a mutation records its entry
 * at its commit point (before the store write), so nothing changes unaudited. If the
 * audit log cannot be written the caller gets `audit_unavailable` instead of a result.
 */

import { HsmError, isHsmError } from "../domain/errors.ts";
import type { RecordRef } from "../domain/audit_entry.ts";
import type { Action, Role } from "./rbac.ts";

/** Who is calling: the JWT subject and its roles. */
export interface Actor {
  readonly id: string;
  readonly roles: readonly Role[];
  /** The HTTP request's correlation id (`X-Request-Id`), recorded in its audit entries. */
  readonly requestId?: string;
}

/** One audit event as services describe it (the log adds seq, ts, hashes and MAC). */
export interface AuditEvent {
  readonly actor: string;
  readonly action: string;
  readonly keyId: string | null;
  readonly result: string;
  /** Non-secret request parameters; only their hash is stored. */
  readonly payload: unknown;
  /** Record revisions the entry commits (the record journal). */
  readonly records?: readonly RecordRef[];
  /** The HTTP request's correlation id, when the event belongs to one. */
  readonly requestId?: string;
}

/** Where audit events go; resolves with the entry's seq once the event is durable. */
export interface AuditSink {
  append(event: AuditEvent): Promise<{ readonly seq: number }>;
}

/** Told about record revisions once the entry committing them is durable. */
export interface CommitObserver {
  expect(refs: readonly RecordRef[], seq: number): void;
}

/** Decides whether roles may perform an RBAC action such as `key:use:ec`. */
export interface Authorizer {
  allows(roles: readonly Role[], action: Action): boolean;
}

/** What a guarded operation is, for authorization and its audit entry. */
export interface GuardedRequest {
  readonly actor: Actor;
  /** The audit action name, e.g. `key.rotate`. */
  readonly action: string;
  /** The key the entry names; null when none (or not known yet, see `setKeyId`). */
  readonly keyId?: string | null;
  /** Non-secret request parameters; only their hash is stored. */
  readonly payload?: unknown;
}

/** Handle given to a guarded operation. */
export interface GuardedOp {
  /** @throws HsmError("forbidden") when the actor may not perform `action` */
  authorize(action: Action): void;
  /**
   * Writes the success entry now; call right before committing a mutation, naming the
   * record revisions it writes (they are journaled in the entry).
   */
  commitPoint(records?: readonly RecordRef[]): Promise<void>;
  /** Sets the key id recorded in the audit entry (when known only after creation). */
  setKeyId(keyId: string): void;
  /**
   * Replaces the payload whose hash the entry records (when it depends on the outcome,
   * e.g. a batch's per-item results); only before the entry is written.
   */
  setPayload(payload: unknown): void;
}

/**
 * Exact limits on a few sensitive actions, kept where every node sees them (nodes
 * sharing a database): checked before the operation runs, a refusal is audited as
 * `rate_limited`.
 */
export interface StrictLimits {
  /** The audit actions limited (e.g. `key.destroy`). */
  readonly actions: readonly string[];
  /** Takes a token for `actor` doing `action`; resolves false when refused. */
  take(actor: Actor, action: string): Promise<boolean>;
}

/** Runs operations under authorization and audit. */
export class Guard {
  #audit: AuditSink;
  #authz: Authorizer;
  #commits: CommitObserver | undefined;
  #strict: StrictLimits | undefined;

  /**
   * `commits` (the record journal) learns of every committed record revision; `strict`
   * limits a few actions exactly across nodes.
   */
  constructor(
    audit: AuditSink,
    authz: Authorizer,
    commits?: CommitObserver,
    strict?: StrictLimits,
  ) {
    this.#audit = audit;
    this.#authz = authz;
    this.#commits = commits;
    this.#strict = strict;
  }

  /** True when the actor's roles allow `action` (no audit; for UI decisions). */
  allows(actor: Actor, action: Action): boolean {
    return this.#authz.allows(actor.roles, action);
  }

  /**
   * Runs `fn` and audits its outcome as `request.action` on `request.keyId`.
   * @throws HsmError("audit_unavailable") when the entry cannot be written
   */
  async run<T>(request: GuardedRequest, fn: (op: GuardedOp) => Promise<T>): Promise<T> {
    const { actor, action } = request;
    let payload: unknown = request.payload ?? {};
    let audited = false;
    let auditedKeyId = request.keyId ?? null;
    let committed: readonly RecordRef[] = [];
    const write = async (result: string) => {
      try {
        return await this.#audit.append({
          actor: actor.id,
          action,
          keyId: auditedKeyId,
          result,
          payload,
          ...(committed.length === 0 ? {} : { records: committed }),
          ...(actor.requestId === undefined ? {} : { requestId: actor.requestId }),
        });
      } catch (err) {
        throw new HsmError("audit_unavailable", "Audit log unavailable", { cause: err });
      }
    };
    const op: GuardedOp = {
      authorize: (rbacAction) => {
        if (!this.#authz.allows(actor.roles, rbacAction)) {
          throw new HsmError("forbidden", `Cannot perform ${rbacAction}: not permitted`);
        }
      },
      commitPoint: async (records = []) => {
        if (audited) throw new TypeError("A guarded operation has one commit point");
        committed = records;
        const entry = await write("ok");
        audited = true;
        if (records.length > 0) this.#commits?.expect(records, entry.seq);
      },
      setKeyId: (id) => {
        auditedKeyId = id;
      },
      setPayload: (value) => {
        if (audited) throw new TypeError("The audit entry has been written");
        payload = value;
      },
    };
    let value: T;
    try {
      const strict = this.#strict;
      if (strict?.actions.includes(action) && !(await strict.take(actor, action))) {
        throw new HsmError("rate_limited", `Cannot perform ${action} now: too many requests`);
      }
      value = await fn(op);
    } catch (err) {
      if (isHsmError(err, "audit_unavailable")) throw err;
      const result = isHsmError(err) ? err.code : "internal";
      // After a commit point the entry already says "ok": record the failure too.
      await write(audited ? `failed:${result}` : result);
      throw err;
    }
    if (!audited) await write("ok");
    return value;
  }
}
