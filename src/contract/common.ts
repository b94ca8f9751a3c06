/**
 * Field schemas every part of the API contract shares: strict standard base64 decoded
 * to bytes, record ids, version numbers, timestamps, and the contract's error body.
 * The single source for these shapes: routes validate with them, the OpenAPI document
 * is generated from them, and clients use their inferred types.
 */

import { z } from "zod";
import { fromBase64 } from "../core/encoding.ts";
import { HSM_ERROR_CODES } from "../domain/errors.ts";

/** A standard-base64 request field decoded to bytes (at most `max` decoded bytes). */
// deno-lint-ignore explicit-module-boundary-types -- a zod pipeline type
export function base64Bytes(max = 1024 * 1024) {
  return z.string().max(Math.ceil(max / 3) * 4 + 4).meta({ contentEncoding: "base64" })
    .transform((text, ctx) => {
      const bytes = fromBase64(text);
      if (bytes === undefined) {
        ctx.addIssue({ code: "custom", message: "expected standard base64 with padding" });
        return z.NEVER;
      }
      return bytes;
    });
}

/** A standard-base64 response field. */
export const base64Text = z.string().meta({ contentEncoding: "base64" });

/** A positive key version number. */
export const versionNumber = z.number().int().min(1).max(0x7fffffff);

/** An RFC 3339 timestamp as the API writes them. */
export const timestamp = z.string().meta({ format: "date-time" });

/** Record ids are service-generated (UUIDs); anything else cannot exist. */
export const recordId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "not an id");

/** An `:id` path parameter. */
export const idParam = z.object({ id: recordId });

/** The contract's error body: `{"error": {"code", "message"}}`. */
export const ErrorBody = z.strictObject({
  error: z.strictObject({ code: z.enum(HSM_ERROR_CODES), message: z.string() }),
});

/** The error body as clients read it. */
export type ErrorJson = z.output<typeof ErrorBody>;
