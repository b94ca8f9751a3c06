/**
 * The policy engine: holds the policies, selects those whose scope matches a request and
 * runs them in the sandbox pool; every applicable policy must allow. A request that no
 * policy applies to costs a scan of the in-memory scopes and nothing else: no context is
 * built, no child is spawned, no message is sent (check with `select` before building
 * the context). Any failure of a script denies, naming the policy and its digest so the
 * audit entry can too.
 *
 * Scope semantics: dimensions combine with AND, values within one with OR, every
 * `key_tags` pair must be on the key, an empty (or absent) list matches everything, and a
 * key-scoped policy never applies to a request without a key.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../core/encoding.ts";
import { HsmError } from "../domain/errors.ts";
import {
  MAX_SCRIPT_BYTES,
  POLICY_ALLOW,
  type PolicyAction,
  type PolicyContext,
  type PolicyDecision,
  type PolicyDenyCause,
  type PolicyRecord,
  type PolicyScope,
  type ScriptOutcome,
} from "./policy_types.ts";
import type { SandboxPool } from "./sandbox_pool.ts";

/** What selection looks at: the request's action, the actor's roles and the key. */
export interface PolicySubject {
  readonly action: PolicyAction;
  readonly roles: readonly string[];
  readonly keyId?: string;
  readonly keyTags?: Readonly<Record<string, string>>;
}

/** What an operator supplies for a policy; the digest is computed. */
export interface PolicyInput {
  readonly id: string;
  readonly name: string;
  readonly script: string;
  readonly version: number;
  readonly scope: PolicyScope;
}

/** Why a script was refused, per cause (`threw` shows the error itself). */
const VALIDATION_REASONS: Partial<Record<PolicyDenyCause, string>> = {
  invalid_result: "its default export is not a function",
  timeout: "its top level ran past its deadline",
  memory: "its top level ran out of memory",
  crashed: "it crashed the sandbox",
};

const NONE: readonly PolicyRecord[] = Object.freeze([]);
const ALLOWED: Promise<PolicyDecision> = Promise.resolve(POLICY_ALLOW);
const encoder = new TextEncoder();

/** SHA-256 of a script's UTF-8 bytes, lowercase hex. */
export function policyDigest(script: string): string {
  return toHex(sha256(encoder.encode(script)));
}

/**
 * Checks a script's size (module compile checks run in the sandbox: `validate`).
 * @throws HsmError `invalid_request` when empty or larger than MAX_SCRIPT_BYTES
 */
export function checkScriptSize(script: string): void {
  const bytes = encoder.encode(script).length;
  if (bytes === 0 || bytes > MAX_SCRIPT_BYTES) {
    throw new HsmError(
      "invalid_request",
      `Cannot accept the policy script: it is ${bytes} bytes, limit is ${MAX_SCRIPT_BYTES}`,
    );
  }
}

/**
 * A policy record for `input`, with its digest.
 * @throws HsmError `invalid_request` for an empty id or name, a bad version or script size
 */
export function createPolicyRecord(input: PolicyInput): PolicyRecord {
  if (input.id === "" || input.name === "") {
    throw new HsmError("invalid_request", "Cannot accept the policy: id and name are required");
  }
  if (!Number.isSafeInteger(input.version) || input.version < 1) {
    throw new HsmError("invalid_request", "Cannot accept the policy: version must be 1 or more");
  }
  checkScriptSize(input.script);
  return Object.freeze({ ...input, digest: policyDigest(input.script) });
}

function matches(
  scope: PolicyScope,
  action: PolicyAction,
  roles: readonly string[],
  keyId: string | undefined,
  keyTags: Readonly<Record<string, string>> | undefined,
): boolean {
  const { actions, roles: scopeRoles, key_ids: keyIds, key_tags: tags } = scope;
  if (actions !== undefined && actions.length > 0 && !actions.includes(action)) return false;
  if (scopeRoles !== undefined && scopeRoles.length > 0) {
    let any = false;
    for (const role of roles) if (scopeRoles.includes(role)) any = true;
    if (!any) return false;
  }
  if (keyIds !== undefined && keyIds.length > 0) {
    if (keyId === undefined || !keyIds.includes(keyId)) return false;
  }
  if (tags !== undefined) {
    for (const name in tags) {
      if (keyTags === undefined || !Object.hasOwn(keyTags, name)) return false;
      if (keyTags[name] !== tags[name]) return false;
    }
  }
  return true;
}

/** Holds policies and decides requests with them. */
export class PolicyEngine {
  readonly #pool: SandboxPool;
  #policies: readonly PolicyRecord[] = NONE;

  constructor(pool: SandboxPool) {
    this.#pool = pool;
  }

  /** Policies held. */
  get size(): number {
    return this.#policies.length;
  }

  /** Every policy, in evaluation order. */
  list(): readonly PolicyRecord[] {
    return this.#policies;
  }

  /** The policy with `id`, if held. */
  get(id: string): PolicyRecord | undefined {
    return this.#policies.find((p) => p.id === id);
  }

  /**
   * Replaces every policy (e.g. after loading them from storage).
   * @throws TypeError when a digest does not match its script or an id repeats
   */
  replaceAll(policies: Iterable<PolicyRecord>): void {
    const next: PolicyRecord[] = [];
    const ids = new Set<string>();
    for (const policy of policies) {
      checkRecord(policy);
      if (ids.has(policy.id)) throw new TypeError(`Policy ${policy.id} is listed twice`);
      ids.add(policy.id);
      next.push(policy);
    }
    this.#policies = next.length === 0 ? NONE : Object.freeze(next);
  }

  /** Adds a policy, or replaces the one with the same id in place. */
  put(policy: PolicyRecord): void {
    checkRecord(policy);
    const at = this.#policies.findIndex((p) => p.id === policy.id);
    const next = [...this.#policies];
    if (at >= 0) next[at] = policy;
    else next.push(policy);
    this.#policies = Object.freeze(next);
  }

  /** Drops the policy with `id`; false when none was held. */
  remove(id: string): boolean {
    const next = this.#policies.filter((p) => p.id !== id);
    if (next.length === this.#policies.length) return false;
    this.#policies = next.length === 0 ? NONE : Object.freeze(next);
    return true;
  }

  /** The policies that apply to `subject` (a shared empty array when none: no allocation). */
  select(subject: PolicySubject): readonly PolicyRecord[] {
    return this.#select(subject.action, subject.roles, subject.keyId, subject.keyTags);
  }

  /**
   * Runs the policies that apply to `ctx` (or `selected`, from `select`), in order,
   * stopping at the first deny. Resolves to the shared POLICY_ALLOW when all allow.
   */
  evaluate(ctx: PolicyContext, selected?: readonly PolicyRecord[]): Promise<PolicyDecision> {
    if (this.#policies.length === 0) return ALLOWED;
    const policies = selected ??
      this.#select(ctx.action, ctx.actor.roles, ctx.key?.id, ctx.key?.tags);
    if (policies.length === 0) return ALLOWED;
    return this.#run(policies, ctx);
  }

  /** Runs `script` on a sample context (the dry-run endpoint); nothing is stored. */
  async dryRun(script: string, ctx: PolicyContext): Promise<ScriptOutcome> {
    checkScriptSize(script);
    return await this.#pool.evaluate({ digest: policyDigest(script), script }, ctx);
  }

  /**
   * Checks a script before it is stored: size, that it compiles as a module, that its
   * top level finishes within the limits and that its default export is a function.
   * @throws HsmError `invalid_request` naming what is wrong; `unavailable` when no
   *   sandbox could run the check
   */
  async validate(script: string): Promise<void> {
    checkScriptSize(script);
    const outcome = await this.#pool.validate({ digest: policyDigest(script), script });
    if (outcome.allow) return;
    if (outcome.cause === "unavailable") {
      throw new HsmError(
        "unavailable",
        "Cannot validate the policy script: no sandbox is available",
      );
    }
    const why = VALIDATION_REASONS[outcome.cause] ?? outcome.detail ?? outcome.reason;
    throw new HsmError("invalid_request", `Cannot accept the policy script: ${why}`);
  }

  #select(
    action: PolicyAction,
    roles: readonly string[],
    keyId: string | undefined,
    keyTags: Readonly<Record<string, string>> | undefined,
  ): readonly PolicyRecord[] {
    const policies = this.#policies;
    if (policies.length === 0) return NONE;
    let found: PolicyRecord[] | undefined;
    for (const policy of policies) {
      if (matches(policy.scope, action, roles, keyId, keyTags)) (found ??= []).push(policy);
    }
    return found ?? NONE;
  }

  async #run(policies: readonly PolicyRecord[], ctx: PolicyContext): Promise<PolicyDecision> {
    for (const policy of policies) {
      const outcome = await this.#pool.evaluate(policy, ctx);
      if (outcome.allow) continue;
      const decision = {
        allow: false as const,
        policy: { id: policy.id, name: policy.name, digest: policy.digest },
        cause: outcome.cause,
        reason: outcome.reason,
      };
      return outcome.detail === undefined ? decision : { ...decision, detail: outcome.detail };
    }
    return POLICY_ALLOW;
  }
}

function checkRecord(policy: PolicyRecord): void {
  if (policyDigest(policy.script) !== policy.digest) {
    throw new TypeError(`Policy ${policy.id} has a digest that does not match its script`);
  }
}
