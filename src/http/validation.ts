/**
 * Request validation glue: zod schemas through `@hono/zod-validator`, with failures
 * rendered as the contract's 400 `invalid_request` (naming the field, never echoing
 * values). The schemas themselves live in `src/contract/`.
 */

import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import { z } from "zod";
import { HsmError } from "../domain/errors.ts";

/** Validates a request part with `schema`; invalid input throws `invalid_request`. */
// deno-lint-ignore explicit-module-boundary-types -- the validator's type carries the schema's inferred types
export function validate<T extends keyof ValidationTargets, S extends z.ZodType>(
  target: T,
  schema: S,
) {
  return zValidator(target, schema, (result, c) => {
    if (!result.success) {
      // Hono parses a JSON body only when the request says it is JSON; say so rather
      // than report every field as missing.
      const type = c.req.header("Content-Type") ?? "";
      if (target === "json" && !/^application\/([a-z0-9.+-]*\+)?json\b/i.test(type)) {
        throw new HsmError(
          "invalid_request",
          "Invalid request: expected Content-Type: application/json",
        );
      }
      const issue = result.error.issues[0];
      const where = issue?.path.length ? issue.path.join(".") : target;
      throw new HsmError("invalid_request", `Invalid ${where}: ${issue?.message ?? "malformed"}`);
    }
  });
}
