/**
 * The policy bundle: policies kept in a configuration file (`--policy-bundle F`, which
 * can be signed like the other configuration files) rather than through the API. JSON:
 *
 * ```json
 * { "version": 1,
 *   "policies": [
 *     { "id": "office-hours", "name": "Office hours", "scope": { "actions": ["sign"] },
 *       "script": "export default (ctx) => ctx.hour >= 9 && ctx.hour < 17 || {deny: 'closed'}" } ] }
 * ```
 *
 * Bundle policies apply before the API's, in file order; the API lists them with
 * `source: "bundle"` and refuses to change them. Ids are `[a-z0-9][a-z0-9_-]{0,63}` and
 * unique. Scripts are size-checked here and compile-checked in the sandbox at start-up
 * and reload.
 */

import { z } from "zod";
import { HsmError } from "../domain/errors.ts";
import { createPolicyRecord } from "./policy_engine.ts";
import {
  MAX_SCRIPT_BYTES,
  type PolicyRecord,
  type PolicyScope,
  policyScopeSchema,
} from "./policy_types.ts";

const schema = z.strictObject({
  version: z.literal(1),
  policies: z.array(z.strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "ids are [a-z0-9][a-z0-9_-]{0,63}"),
    name: z.string().min(1).max(128),
    script: z.string().min(1).max(MAX_SCRIPT_BYTES),
    scope: policyScopeSchema.default({}),
  })).max(256),
});

/**
 * Parses a bundle file's text.
 * @throws HsmError("invalid_request") naming the source and the first problem
 */
export function parsePolicyBundle(text: string, source = "(inline)"): PolicyRecord[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HsmError("invalid_request", `Invalid policy bundle ${source}: not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "" : `${issue.path.join(".")}: `;
    throw new HsmError(
      "invalid_request",
      `Invalid policy bundle ${source}: ${where}${issue?.message ?? "invalid"}`,
    );
  }
  const seen = new Set<string>();
  return parsed.data.policies.map((p) => {
    if (seen.has(p.id)) {
      throw new HsmError("invalid_request", `Invalid policy bundle ${source}: ${p.id} is repeated`);
    }
    seen.add(p.id);
    try {
      return createPolicyRecord({
        id: p.id,
        name: p.name,
        script: p.script,
        version: 1,
        scope: p.scope as PolicyScope,
      });
    } catch (err) {
      throw new HsmError(
        "invalid_request",
        `Invalid policy bundle ${source}: ${p.id}: ${err instanceof Error ? err.message : err}`,
      );
    }
  });
}
