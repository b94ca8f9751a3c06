/**
 * Role-based access control: the fixed roles and fine-grained actions of FerroHSM, the
 * default role → grants matrix, and a loader for an operator-supplied JSON matrix.
 * Grants are exact actions, `*` (everything) or a `prefix:*` wildcard such as
 * `key:use:*`. The policy fails closed: an unknown role or action in the file is a
 * startup error naming it, and at run time an action nobody granted is refused.
 * Anything not listed in the matrix is denied; there is no implicit inheritance.
 */

import { z } from "zod";
import type { Family } from "../core/algorithms.ts";
import { HsmError } from "../domain/errors.ts";

/** Every role a token may carry. */
export const ROLES = ["Administrator", "Operator", "Auditor", "Service"] as const;

/** A role name as it appears in a token's `roles` claim. */
export type Role = typeof ROLES[number];

/** Every action the service authorises. */
export const ACTIONS = [
  "key:create",
  "key:read",
  "key:rotate",
  "key:rollback",
  "key:revoke",
  "key:destroy",
  "key:import",
  "key:update",
  "key:update:min-version",
  "key:use:aes",
  "key:use:hmac",
  "key:use:rsa",
  "key:use:ec",
  "key:use:ed25519",
  "key:use:ml-kem",
  "key:use:ml-dsa",
  "key:use:hybrid-kem",
  "key:use:slh-dsa",
  "key:use:composite-sig",
  "approval:read",
  "approval:decide",
  "audit:read",
  "metrics:read",
  "policy:read",
  "policy:update",
  "retention:read",
  "retention:run",
] as const;

/**
 * An authorisable action. `key:destroy` is the right to request destruction;
 * `key:update` changes a key's tags and rotation period, `key:update:min-version` raises
 * its minimum decryption version; `key:import` covers import parameters and imports.
 */
export type Action = typeof ACTIONS[number];

/** A grant in a matrix: an action, `*`, or a `prefix:*` wildcard. */
export type Grant = Action | "*" | `${string}:*`;

/** A role → grants matrix. Roles left out are granted nothing. */
export type RbacMatrix = Readonly<Partial<Record<Role, readonly Grant[]>>>;

/** The default matrix; `config/rbac.json` holds the same table. */
export const DEFAULT_RBAC_MATRIX: Readonly<Record<Role, readonly Grant[]>> = Object.freeze({
  Administrator: Object.freeze(["*"] as const),
  Operator: Object.freeze(
    [
      "key:create",
      "key:read",
      "key:rotate",
      "key:rollback",
      "key:revoke",
      "key:destroy",
      "key:import",
      "key:update",
      "key:update:min-version",
      "key:use:*",
      "approval:read",
    ] as const,
  ),
  Service: Object.freeze(["key:read", "key:use:*"] as const),
  Auditor: Object.freeze(
    ["key:read", "audit:read", "approval:read", "policy:read", "retention:read"] as const,
  ),
});

const ROLE_SET: ReadonlySet<string> = new Set(ROLES);
const ACTION_SET: ReadonlySet<string> = new Set(ACTIONS);

/** True when `value` is one of the known roles. */
export function isRole(value: unknown): value is Role {
  return typeof value === "string" && ROLE_SET.has(value);
}

/** True when `value` is one of the known actions. */
export function isAction(value: unknown): value is Action {
  return typeof value === "string" && ACTION_SET.has(value);
}

/** The `key:use:*` action for a key algorithm family, e.g. `rsa` → `key:use:rsa`. */
export function keyUseAction(family: Family): Action {
  return `key:use:${family}`;
}

/** An immutable, validated role → actions policy. */
export class RbacPolicy {
  readonly #allowed: ReadonlyMap<Role, ReadonlySet<Action>>;
  readonly #matrix: RbacMatrix;

  /** @throws HsmError("invalid_request") naming the first unknown role or grant */
  constructor(matrix: RbacMatrix) {
    const allowed = new Map<Role, ReadonlySet<Action>>();
    const copy: Partial<Record<Role, readonly Grant[]>> = {};
    for (const [role, grants] of Object.entries(matrix)) {
      if (!isRole(role)) throw policyError(`unknown role "${role}"`);
      const actions = new Set<Action>();
      for (const grant of grants ?? []) {
        const expanded = expandGrant(grant);
        if (expanded.length === 0) {
          throw policyError(`unknown action "${grant}" for role ${role}`);
        }
        for (const action of expanded) actions.add(action);
      }
      allowed.set(role, actions);
      copy[role] = Object.freeze([...(grants ?? [])]);
    }
    this.#allowed = allowed;
    this.#matrix = Object.freeze(copy);
  }

  /** The built-in default policy. */
  static default(): RbacPolicy {
    return new RbacPolicy(DEFAULT_RBAC_MATRIX);
  }

  /** The matrix this policy was built from (grants as written, wildcards unexpanded). */
  get matrix(): RbacMatrix {
    return this.#matrix;
  }

  /** True when any of `roles` is granted `action`; unknown roles and actions are refused. */
  allows(roles: readonly Role[], action: Action): boolean {
    if (!isAction(action)) return false;
    for (const role of roles) {
      if (this.#allowed.get(role)?.has(action) === true) return true;
    }
    return false;
  }

  /** Every action any of `roles` is granted, in ACTIONS order. */
  actionsFor(roles: readonly Role[]): Action[] {
    return ACTIONS.filter((action) => this.allows(roles, action));
  }
}

const fileSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  version: z.literal(1),
  roles: z.record(z.string(), z.array(z.string())),
});

/**
 * Loads a policy from a JSON file `{"version": 1, "roles": {"Role": ["grant", ...]}}`,
 * or returns the default policy when no path is given.
 * @throws HsmError("invalid_request") with a message naming the file and the problem
 */
export async function loadRbacPolicy(path?: string): Promise<RbacPolicy> {
  if (path === undefined) return RbacPolicy.default();
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new HsmError("invalid_request", `Cannot read RBAC policy ${path}: ${describe(err)}`);
  }
  return parseRbacPolicy(text, path);
}

/**
 * Parses and validates the JSON text of an RBAC policy file.
 * @throws HsmError("invalid_request") with a message naming the source and the problem
 */
export function parseRbacPolicy(text: string, source = "(inline)"): RbacPolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HsmError("invalid_request", `Invalid RBAC policy ${source}: not valid JSON`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "" : `${issue.path.join(".")}: `;
    throw new HsmError(
      "invalid_request",
      `Invalid RBAC policy ${source}: ${where}${issue?.message ?? "invalid"}`,
    );
  }
  // Check role names on the raw JSON: a "__proto__" key does not survive zod's copy.
  const rawRoles = (json as { roles: Record<string, unknown> }).roles;
  const unknownRole = Object.keys(rawRoles).find((name) => !isRole(name));
  if (unknownRole !== undefined) {
    throw new HsmError(
      "invalid_request",
      `Invalid RBAC policy ${source}: unknown role "${unknownRole}"`,
    );
  }
  try {
    return new RbacPolicy(parsed.data.roles as RbacMatrix);
  } catch (err) {
    throw new HsmError("invalid_request", `Invalid RBAC policy ${source}: ${describe(err)}`);
  }
}

/** Expands one grant to the known actions it covers; empty when it covers none. */
function expandGrant(grant: string): Action[] {
  if (grant === "*") return [...ACTIONS];
  if (grant.endsWith(":*")) {
    const prefix = grant.slice(0, -1);
    return ACTIONS.filter((action) => action.startsWith(prefix));
  }
  return isAction(grant) ? [grant] : [];
}

function policyError(detail: string): HsmError {
  return new HsmError("invalid_request", detail.charAt(0).toUpperCase() + detail.slice(1));
}

function describe(err: unknown): string {
  if (err instanceof HsmError) return err.message.charAt(0).toLowerCase() + err.message.slice(1);
  if (err instanceof Deno.errors.NotFound) return "file not found";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  return "unreadable";
}
