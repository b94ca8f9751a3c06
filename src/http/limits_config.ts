/**
 * Builds the HTTP limiters from the Config: the per-actor rate limit (`--rate-limit`,
 * burst 2 × RPS, per-role overrides from `--rate-limit-config F`), the pre-auth limit per
 * client address (IP_RATE_FACTOR × the default, so it only stops floods of unauthenticated
 * requests from one address), and the concurrency bound (`--max-concurrent`,
 * `--max-queue`). The per-role file, `{"roles": {"Service": {"rps": 1000, "burst": 2000}}}`
 * (`burst` defaulting to 2 × rps), is validated once at start-up and fails closed: an
 * unknown role, a non-positive rate or an unknown field is an error naming the file.
 */

import { z } from "zod";
import { isRole, type Role } from "../access/rbac.ts";
import { HsmError } from "../domain/errors.ts";
import { ConcurrencyLimiter } from "./load_shed.ts";
import { type RateLimit, RateLimiter } from "./rate_limiter.ts";

/** The pre-auth limit per client address is this many times the per-actor default. */
export const IP_RATE_FACTOR = 10;

/** The limiters of one server (shared by the app and the health report). */
export interface HttpLimits {
  /** Per client address, before authentication. */
  readonly ip: RateLimiter;
  /** Per authenticated actor, by role. */
  readonly actor: RateLimiter;
  /** Global concurrency bound on `/api`. */
  readonly shed: ConcurrencyLimiter;
}

/** Validated per-role limits. */
export type RoleRateLimits = Readonly<Partial<Record<Role, RateLimit>>>;

const limitSchema = z.strictObject({
  rps: z.number().positive().finite(),
  burst: z.number().min(1).finite().optional(),
});

const fileSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  roles: z.record(z.string(), limitSchema),
});

function configError(source: string, problem: string): HsmError {
  return new HsmError("invalid_request", `Invalid rate-limit config ${source}: ${problem}`);
}

/**
 * Parses and validates the JSON text of a rate-limit config.
 * @throws HsmError("invalid_request") naming the source and the problem
 */
export function parseRateLimitConfig(text: string, source = "(inline)"): RoleRateLimits {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw configError(source, "not valid JSON");
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "" : `${issue.path.join(".")}: `;
    throw configError(source, `${where}${issue?.message ?? "invalid"}`);
  }
  // Check role names on the raw JSON: a "__proto__" key does not survive zod's copy.
  const rawRoles = Object.keys((json as { roles: Record<string, unknown> }).roles);
  const unknownRole = rawRoles.find((name) => !isRole(name));
  if (unknownRole !== undefined) throw configError(source, `unknown role "${unknownRole}"`);
  const limits: Partial<Record<Role, RateLimit>> = {};
  for (const [role, limit] of Object.entries(parsed.data.roles)) {
    limits[role as Role] = Object.freeze({ rps: limit.rps, burst: limit.burst ?? 2 * limit.rps });
  }
  return Object.freeze(limits);
}

/**
 * Reads per-role limits from `path`; none when no path is given.
 * @throws HsmError("invalid_request") when the file cannot be read or is invalid
 */
export async function loadRateLimitConfig(path?: string): Promise<RoleRateLimits> {
  if (path === undefined) return Object.freeze({});
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new HsmError("invalid_request", `Cannot read rate-limit config ${path}: ${reason}`);
  }
  return parseRateLimitConfig(text, path);
}

/** The flags the limiters are built from (`--rate-limit`, `--max-concurrent`, `--max-queue`). */
export interface LimitSettings {
  readonly rateLimit: number;
  readonly maxConcurrent: number;
  readonly maxQueue: number;
}

/** Builds the limiters for `config` and its (already loaded) per-role limits. */
export function createHttpLimits(
  config: LimitSettings,
  roleLimits: RoleRateLimits,
): HttpLimits {
  return {
    ip: new RateLimiter({ defaultRps: IP_RATE_FACTOR * config.rateLimit }),
    actor: new RateLimiter({ defaultRps: config.rateLimit, roleLimits }),
    shed: new ConcurrencyLimiter({
      maxConcurrent: config.maxConcurrent,
      maxQueue: config.maxQueue,
    }),
  };
}
