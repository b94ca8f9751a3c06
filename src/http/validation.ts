/**
 * Request validation glue: zod schemas through `@hono/zod-validator`, with failures
 * rendered as the contract's 400 `invalid_request` (naming the field, never echoing
 * values). Includes the shared field schemas (strict standard base64).
 */

import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import { z } from "zod";
import { HsmError } from "../domain/errors.ts";
import { fromBase64 } from "../core/encoding.ts";

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

/** A standard-base64 string field decoded to bytes (at most `max` decoded bytes). */
// deno-lint-ignore explicit-module-boundary-types -- a zod pipeline type
export function base64Bytes(max = 1024 * 1024) {
  return z.string().max(Math.ceil(max / 3) * 4 + 4).transform((text, ctx) => {
    const bytes = fromBase64(text);
    if (bytes === undefined) {
      ctx.addIssue({ code: "custom", message: "expected standard base64 with padding" });
      return z.NEVER;
    }
    return bytes;
  });
}

/** A positive key version number. */
export const versionNumber = z.number().int().min(1).max(0x7fffffff);

/** A key id path parameter (service-generated UUIDs; anything else cannot exist). */
export const keyIdParam = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "not a key id"),
});
