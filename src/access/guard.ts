/**
 * The policy enforcement point shared by every service: authorizes an actor for an
 * action and writes the operation's audit entry, fail-closed. No result leaves a
 * guarded operation unless its audit entry is durable; a mutation records its entry
 * at its commit point (before the store write), so nothing changes unaudited. If the
 * audit log cannot be written the caller gets `audit_unavailable` instead of a result.
 *
 * Policy scripts: with a `PolicyGate`, an operation whose audit action the gate covers
 * must call `op.admit(key)` once it knows the key's metadata (after its RBAC check and
 * before anything happens). A deny answers `policy_denied` with the policy's reason, and
 * the audit entry's result names the policy and its digest
 * (`policy_denied:<id>:<digest16>`, plus `:<cause>` when the script failed rather than
 * said no). While the gate holds policies, a covered operation that reaches its commit
 * point or its end without `admit` fails closed (a programmer error, audited as
 * `internal`). Requests the gate does not cover, or with no policy held, pay one
 * property check.
 */

import { HsmError, isHsmError } from "../domain/errors.ts";
import type { RecordRef } from "../domain/audit_entry.ts";
import type { KeyRecord } from "../domain/records.ts";
import type { Action, Role } from "./rbac.ts";

/** Where a request came in. */
export type RequestChannel = "rest" | "pkcs11" | "ui";

/** Facts about the request a call serves, as its transport saw them (for policies). */
export interface RequestFacts {
  /** When the request arrived. */
  readonly time: Date;
  /** The peer address (`unix` for the PKCS#11 socket). */
  readonly clientIp: string;
  /** Request body size in bytes. */
  readonly size: number;
  readonly via: RequestChannel;
  /** RFC 8705 `x5t#S256` of the verified client certificate (mutual TLS only). */
  readonly certThumbprint?: string;
}

/** Who is calling: the JWT subject and its roles, and the request's facts when known. */
export interface Actor {
  readonly id: string;
  readonly roles: readonly Role[];
  readonly facts?: RequestFacts;
  /** The HTTP request's correlation id (`X-Request-Id`), recorded in its audit entries. */
  readonly requestId?: string;
}

/** The key metadata a policy sees (never material). */
export type PolicyKeyFacts = Pick<
  KeyRecord,
  "id" | "algorithm" | "tags" | "state" | "currentVersion"
>;

/** A policy's refusal. */
export interface PolicyDenial {
  readonly policyId: string;
  readonly policyName: string;
  /** SHA-256 (hex) of the script that decided. */
  readonly digest: string;
  /** `denied` when the script said no; otherwise how it failed (`timeout`, `threw`, ...). */
  readonly cause: string;
  /** For the caller. */
  readonly reason: string;
}

/** Decides guarded requests with policy scripts (see `src/policy/policy_gate.ts`). */
export interface PolicyGate {
  /** True when policies are held and `action` (an audit action) is subject to them. */
  covers(action: string): boolean;
  /**
   * Runs the policies that apply; undefined when every one allows.
   * @param version the key version the request uses (default: the current one)
   */
  decide(request: {
    readonly actor: Actor;
    readonly action: string;
    readonly key?: PolicyKeyFacts | undefined;
    readonly version?: number | undefined;
  }): Promise<PolicyDenial | undefined>;
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
   * Evaluates the policy scripts that apply to this request and `key` (the key's
   * metadata; absent for requests without a key). Call after `authorize`, before acting.
   * @param version the key version the request uses (default: the current one)
   * @throws HsmError("policy_denied") with the deciding policy's reason
   */
  admit(key?: PolicyKeyFacts, version?: number): Promise<void>;
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

/** What a Guard works with besides its audit sink and authorizer (each optional). */
export interface GuardOptions {
  /** The record journal: learns of every committed record revision. */
  readonly commits?: CommitObserver | undefined;
  /** Exact limits on a few actions across nodes. */
  readonly strict?: StrictLimits | undefined;
  /** Decides covered operations with policy scripts. */
  readonly policies?: PolicyGate | undefined;
}

const ADMITTED: Promise<void> = Promise.resolve();

/** Runs operations under authorization and audit. */
export class Guard {
  #audit: AuditSink;
  #authz: Authorizer;
  #commits: CommitObserver | undefined;
  #strict: StrictLimits | undefined;
  #policies: PolicyGate | undefined;

  /** Audits to `audit`, authorizes with `authz`; see `GuardOptions` for the rest. */
  constructor(
    audit: AuditSink,
    authz: Authorizer,
    options: GuardOptions = {},
  ) {
    this.#audit = audit;
    this.#authz = authz;
    this.#commits = options.commits;
    this.#strict = options.strict;
    this.#policies = options.policies;
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
    const gate = this.#policies;
    let unadmitted = gate !== undefined && gate.covers(action);
    let deniedResult: string | undefined;
    const requireAdmitted = () => {
      if (unadmitted) throw new TypeError(`Operation ${action} skipped its policy check`);
    };
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
        requireAdmitted();
        committed = records;
        const entry = await write("ok");
        audited = true;
        if (records.length > 0) this.#commits?.expect(records, entry.seq);
      },
      setKeyId: (id) => {
        auditedKeyId = id;
      },
      admit: (key, version) => {
        if (!unadmitted || gate === undefined) return ADMITTED;
        unadmitted = false;
        return gate.decide({ actor, action, key, version }).then((denial) => {
          if (denial === undefined) return;
          const cause = denial.cause === "denied" ? "" : `:${denial.cause}`;
          deniedResult = `policy_denied:${denial.policyId}:${denial.digest.slice(0, 16)}${cause}`;
          throw new HsmError(
            "policy_denied",
            `Denied by policy ${denial.policyName}: ${denial.reason}`,
          );
        });
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
      requireAdmitted();
    } catch (err) {
      if (isHsmError(err, "audit_unavailable")) throw err;
      const result = deniedResult ?? (isHsmError(err) ? err.code : "internal");
      // After a commit point the entry already says "ok": record the failure too.
      await write(audited ? `failed:${result}` : result);
      throw err;
    }
    if (!audited) await write("ok");
    return value;
  }
}
