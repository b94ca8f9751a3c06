/**
 * The vocabulary of policy scripts: the actions a policy can be scoped to, a policy's
 * record and scope, the frozen context a script sees, and the decision the engine
 * returns. Schemas here validate what arrives over the API (a scope, a dry-run context);
 * they bound sizes so a sample context cannot be used to push large data into a child.
 */

import { z } from "zod";
import { HsmError } from "../domain/errors.ts";

/** The API's action names a policy scope may list (`scope.actions`). */
export const POLICY_ACTIONS = [
  "sign",
  "verify",
  "encrypt",
  "decrypt",
  "mac",
  "encapsulate",
  "decapsulate",
  "create",
  "update",
  "rotate",
  "rollback",
  "revoke",
  "destroy",
  "read",
] as const;

/** One of the API's action names. */
export type PolicyAction = typeof POLICY_ACTIONS[number];

/** Where a request came from. */
export type PolicyVia = "rest" | "pkcs11" | "ui";

/** The largest script accepted, in UTF-8 bytes. */
export const MAX_SCRIPT_BYTES = 64 * 1024;

/**
 * Which requests a policy applies to. Every listed dimension must match (AND); within a
 * dimension any listed value matches (OR), except `key_tags`, where every pair must be on
 * the key. An empty scope is global.
 */
export interface PolicyScope {
  readonly actions?: readonly PolicyAction[];
  readonly roles?: readonly string[];
  readonly key_ids?: readonly string[];
  readonly key_tags?: Readonly<Record<string, string>>;
}

/** A stored policy as the engine holds it. `digest` is the SHA-256 (hex) of `script`. */
export interface PolicyRecord {
  readonly id: string;
  readonly name: string;
  readonly script: string;
  readonly digest: string;
  readonly version: number;
  readonly scope: PolicyScope;
}

/** The context a script receives (a frozen deep copy), in the API's snake_case. */
export interface PolicyContext {
  readonly actor: {
    readonly sub: string;
    readonly roles: readonly string[];
    readonly cert_thumbprint?: string;
  };
  readonly action: PolicyAction;
  readonly key?: {
    readonly id: string;
    readonly algorithm: string;
    readonly tags: Readonly<Record<string, string>>;
    readonly state: string;
    readonly version: number;
  };
  readonly request: PolicyRequestFacts;
  /** Same as `request.hour` (the configured zone), for short scripts. */
  readonly hour: number;
  /** Same as `request.minute`. */
  readonly minute: number;
  /** Same as `request.weekday`. */
  readonly weekday: number;
}

/** Facts about the request. Clock fields are in the configured zone; `utc` has UTC's. */
export interface PolicyRequestFacts {
  /** ISO 8601 in UTC (`2025-01-31T08:00:00.000Z`). */
  readonly time: string;
  /** The IANA zone the clock fields below are in. */
  readonly time_zone: string;
  readonly hour: number;
  readonly minute: number;
  /** 0 = Sunday … 6 = Saturday, as `Date.prototype.getDay`. */
  readonly weekday: number;
  readonly utc: { readonly hour: number; readonly minute: number; readonly weekday: number };
  readonly client_ip: string;
  /** Request body size in bytes. */
  readonly size: number;
  readonly via: PolicyVia;
}

/**
 * Why a policy denied: `denied` (the script said no), `threw`, `timeout`, `memory`
 * (QuickJS memory cap), `crashed` (the child died), `invalid_result` (not `true`,
 * `false` or `{deny: string}`), `unavailable` (no sandbox could take the evaluation).
 */
export type PolicyDenyCause =
  | "denied"
  | "threw"
  | "timeout"
  | "memory"
  | "crashed"
  | "invalid_result"
  | "unavailable";

/** The outcome of running one script: allow, or deny with a cause and a reason. */
export type ScriptOutcome =
  | { readonly allow: true }
  | {
    readonly allow: false;
    readonly cause: PolicyDenyCause;
    /** For the caller: the script's own reason, or a fixed phrase per cause. */
    readonly reason: string;
    /** For audit and logs only (an error's name and message, truncated). */
    readonly detail?: string;
  };

/** The engine's answer for a request. */
export type PolicyDecision =
  | { readonly allow: true }
  | {
    readonly allow: false;
    readonly policy: { readonly id: string; readonly name: string; readonly digest: string };
    readonly cause: PolicyDenyCause;
    readonly reason: string;
    readonly detail?: string;
  };

/** The single allow decision (shared, so the no-policy path allocates nothing). */
export const POLICY_ALLOW: { readonly allow: true } = Object.freeze({ allow: true as const });

const shortString = z.string().min(1).max(256);

/** Validates a scope as it arrives over the API. */
export const policyScopeSchema = z.strictObject({
  actions: z.array(z.enum(POLICY_ACTIONS)).max(POLICY_ACTIONS.length).optional(),
  roles: z.array(shortString).max(64).optional(),
  key_ids: z.array(shortString).max(1024).optional(),
  key_tags: z.record(shortString, z.string().max(256)).optional(),
});

const clockSchema = z.strictObject({
  hour: z.number().int().min(0).max(23),
  minute: z.number().int().min(0).max(59),
  weekday: z.number().int().min(0).max(6),
});

const actorSchema = z.strictObject({
  sub: shortString,
  roles: z.array(shortString).max(64),
  cert_thumbprint: z.string().max(256).optional(),
});

const keySchema = z.strictObject({
  id: shortString,
  algorithm: shortString,
  tags: z.record(shortString, z.string().max(256)),
  state: shortString,
  version: z.number().int().min(0),
});

/** Validates a full context as it arrives over the API (`/policies/:id/dry-run`). */
export const policyContextSchema = z.strictObject({
  actor: actorSchema,
  action: z.enum(POLICY_ACTIONS),
  key: keySchema.optional(),
  request: z.strictObject({
    time: z.iso.datetime(),
    time_zone: shortString,
    ...clockSchema.shape,
    utc: clockSchema,
    client_ip: z.string().max(64),
    size: z.number().int().min(0),
    via: z.enum(["rest", "pkcs11", "ui"]),
  }),
  ...clockSchema.shape,
});

/**
 * Validates a sample context: the request's facts without the derived clock fields,
 * which `parseSampleContext` computes in the configured zone.
 */
export const sampleContextSchema = z.strictObject({
  actor: actorSchema,
  action: z.enum(POLICY_ACTIONS),
  key: keySchema.optional(),
  request: z.strictObject({
    time: z.iso.datetime(),
    client_ip: z.string().max(64).default("127.0.0.1"),
    size: z.number().int().min(0).default(0),
    via: z.enum(["rest", "pkcs11", "ui"]).default("rest"),
  }),
});

/**
 * Parses a scope from the API.
 * @throws HsmError `invalid_request` naming the first bad field
 */
export function parsePolicyScope(input: unknown): PolicyScope {
  const parsed = policyScopeSchema.safeParse(input);
  if (!parsed.success) throw invalid("scope", parsed.error);
  // JSON never holds `undefined`, so the optional fields are absent, not undefined.
  return parsed.data as PolicyScope;
}

/**
 * Parses a sample context from the API (dry run).
 * @throws HsmError `invalid_request` naming the first bad field
 */
export function parsePolicyContext(input: unknown): PolicyContext {
  const parsed = policyContextSchema.safeParse(input);
  if (!parsed.success) throw invalid("context", parsed.error);
  return parsed.data as PolicyContext;
}

function invalid(what: string, error: z.ZodError): HsmError {
  const issue = error.issues[0];
  const path = issue === undefined ? what : [what, ...issue.path.map(String)].join(".");
  return new HsmError("invalid_request", `Cannot accept the policy ${what}: ${path} is invalid`);
}
