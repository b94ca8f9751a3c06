/**
 * The Guard's policy gate over the policy engine: which audit actions policies apply to
 * (each named by its API action, e.g. `key.sign` → `sign`), and the decision of one
 * guarded request. The context is built only when a policy applies (requests that no
 * scope matches cost a scan of the in-memory scopes), deep-frozen, and carries the
 * actor, the action, the key's metadata and the request's facts (time in UTC and in the
 * configured zone, client address, size, channel). Scripts that time out, crash or throw
 * deny; the detail goes to the log, the reason to the caller, the policy and its digest
 * to the audit entry (through the Guard).
 */

import type { Actor, PolicyDenial, PolicyGate, PolicyKeyFacts } from "../access/guard.ts";
import type { Logger } from "../util/logger.ts";
import { buildPolicyContext } from "./policy_context.ts";
import type { PolicyEngine } from "./policy_engine.ts";
import type { PolicyAction, PolicyContext, PolicyDecision } from "./policy_types.ts";

/**
 * Audit actions of guarded key operations → the API action names policies scope on. An
 * operation that does two things is decided as each (a rewrap decrypts and encrypts: a
 * policy on either applies, and the first denial wins). A batch is one operation: it is
 * decided once, before its items, and a denial refuses the whole batch. A BYOK import,
 * of a new key or of a new version, brings in key material: `create`.
 */
export const POLICY_ACTION_OF: ReadonlyMap<string, readonly PolicyAction[]> = new Map<
  string,
  readonly PolicyAction[]
>([
  ["key.create", ["create"]],
  ["key.import", ["create"]],
  ["key.read", ["read"]],
  ["key.versions", ["read"]],
  ["key.public", ["read"]],
  ["key.jwks", ["read"]],
  ["key.update", ["update"]],
  ["key.rotate", ["rotate"]],
  ["key.rollback", ["rollback"]],
  ["key.revoke", ["revoke"]],
  ["key.destroy.request", ["destroy"]],
  ["key.encrypt", ["encrypt"]],
  ["key.encrypt.batch", ["encrypt"]],
  ["key.datakey", ["encrypt"]],
  ["key.decrypt", ["decrypt"]],
  ["key.decrypt.batch", ["decrypt"]],
  ["key.rewrap", ["decrypt", "encrypt"]],
  ["key.sign", ["sign"]],
  ["key.sign.batch", ["sign"]],
  ["key.sign_jwt", ["sign"]],
  ["key.verify", ["verify"]],
  ["key.mac", ["mac"]],
  ["key.mac_verify", ["verify"]],
  ["key.encapsulate", ["encapsulate"]],
  ["key.decapsulate", ["decapsulate"]],
]);

/** Options of the gate. */
export interface EnginePolicyGateOptions {
  /** The IANA zone of the context's clock fields (`--policy-time-zone`, default UTC). */
  readonly timeZone?: string;
  /** The time of requests whose actor carries no request facts. */
  readonly clock?: () => Date;
  readonly logger?: Logger;
  /** Told each decision that ran a script: `allow`, or the deny cause. */
  readonly onDecision?: (outcome: string) => void;
}

/** The Guard's PolicyGate over a PolicyEngine. */
export class EnginePolicyGate implements PolicyGate {
  readonly #engine: PolicyEngine;
  readonly #timeZone: string;
  readonly #clock: () => Date;
  readonly #logger: Logger | undefined;
  readonly #onDecision: ((outcome: string) => void) | undefined;

  constructor(engine: PolicyEngine, options: EnginePolicyGateOptions = {}) {
    this.#engine = engine;
    this.#timeZone = options.timeZone ?? "UTC";
    this.#clock = options.clock ?? (() => new Date());
    this.#logger = options.logger;
    this.#onDecision = options.onDecision;
  }

  /** True when any policy is held and `action` is a key operation policies apply to. */
  covers(action: string): boolean {
    return this.#engine.size > 0 && POLICY_ACTION_OF.has(action);
  }

  /** Runs the applicable policies; undefined when all allow (or none applies). */
  async decide(request: {
    readonly actor: Actor;
    readonly action: string;
    readonly key?: PolicyKeyFacts | undefined;
    readonly version?: number | undefined;
  }): Promise<PolicyDenial | undefined> {
    const actions = POLICY_ACTION_OF.get(request.action);
    if (actions === undefined) return undefined;
    for (const action of actions) {
      const denial = await this.#decideAs(action, request);
      if (denial !== undefined) return denial;
    }
    return undefined;
  }

  async #decideAs(action: PolicyAction, request: {
    readonly actor: Actor;
    readonly action: string;
    readonly key?: PolicyKeyFacts | undefined;
    readonly version?: number | undefined;
  }): Promise<PolicyDenial | undefined> {
    const { actor, key } = request;
    const selected = this.#engine.select({
      action,
      roles: actor.roles,
      ...(key === undefined ? {} : { keyId: key.id, keyTags: key.tags }),
    });
    if (selected.length === 0) return undefined;
    const ctx = this.#context(actor, action, key, request.version);
    const decision = await this.#engine.evaluate(ctx, selected);
    this.#report(decision, actor, request.action, key?.id);
    if (decision.allow) return undefined;
    return {
      policyId: decision.policy.id,
      policyName: decision.policy.name,
      digest: decision.policy.digest,
      cause: decision.cause,
      reason: decision.reason,
    };
  }

  #context(
    actor: Actor,
    action: PolicyAction,
    key: PolicyKeyFacts | undefined,
    version: number | undefined,
  ): PolicyContext {
    const facts = actor.facts;
    const thumbprint = facts?.certThumbprint;
    return deepFreeze(buildPolicyContext({
      actor: {
        sub: actor.id,
        roles: actor.roles,
        ...(thumbprint === undefined ? {} : { certThumbprint: thumbprint }),
      },
      action,
      ...(key === undefined ? {} : {
        key: {
          id: key.id,
          algorithm: key.algorithm,
          tags: key.tags,
          state: key.state,
          version: version ?? key.currentVersion,
        },
      }),
      request: {
        time: facts?.time ?? this.#clock(),
        clientIp: facts?.clientIp ?? "",
        size: facts?.size ?? 0,
        via: facts?.via ?? "rest",
      },
      timeZone: this.#timeZone,
    }));
  }

  #report(decision: PolicyDecision, actor: Actor, action: string, keyId?: string): void {
    try {
      this.#onDecision?.(decision.allow ? "allow" : decision.cause);
    } catch {
      // An observer must never affect a decision.
    }
    if (decision.allow || decision.cause === "denied") return;
    this.#logger?.log("warn", "A policy script failed and denied the request", {
      policy_id: decision.policy.id,
      digest: decision.policy.digest,
      cause: decision.cause,
      ...(decision.detail === undefined ? {} : { detail: decision.detail }),
      actor: actor.id,
      action,
      ...(keyId === undefined ? {} : { key_id: keyId }),
    });
  }
}

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
