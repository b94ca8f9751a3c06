/**
 * The request body limit: a declared `Content-Length` above the limit is refused before
 * anything is read; a body without one (chunked) is read up to the limit and refused as
 * soon as it passes it, so at most `maxBytes` are ever buffered.
 *
 * Unlike Hono's `bodyLimit`, the buffered body goes into a new Request built from the
 * URL, method and headers only. Building it from the incoming Request copied that
 * request's `signal`, which makes `Deno.serve` print a deprecation warning about
 * `request.signal` (legacy abort behaviour) on every chunked request.
 */

import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";

/** Refuses bodies larger than `maxBytes` with `onTooLarge(c)`. */
export function bodyLimit(
  maxBytes: number,
  onTooLarge: (c: Context<AppEnv>) => Response | Promise<Response>,
): MiddlewareHandler<AppEnv> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError("maxBytes must be a non-negative integer");
  }
  return async function bodyLimitMiddleware(c, next) {
    const raw = c.req.raw;
    if (raw.body === null) return await next();
    const declared = raw.headers.get("content-length");
    if (declared !== null && !raw.headers.has("transfer-encoding")) {
      return Number(declared) > maxBytes ? await onTooLarge(c) : await next();
    }
    const reader = raw.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        return await onTooLarge(c);
      }
      chunks.push(value);
    }
    const body = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.byteLength;
    }
    c.req.raw = new Request(raw.url, { method: raw.method, headers: raw.headers, body });
    await next();
  };
}
