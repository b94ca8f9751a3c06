/**
 * `/v1/transit/random[/:source][/:bytes]`: bytes from the server's CSPRNG (the OS's,
 * through Web Crypto), base64 or hex. Any authenticated caller may ask; the answer
 * touches no key, so it is rate-limited like every Transit call but not audited. The
 * `source` (platform, seal, all) is accepted and always means the platform's generator.
 */

import { type Context, Hono } from "hono";
import { toBase64, toHex } from "../../src/core/encoding.ts";
import { HsmError } from "../../src/domain/errors.ts";
import type { AppEnv } from "../../src/http/context.ts";
import { readFields, vaultJson } from "./_vault.ts";

/** Most bytes one request may ask for (Vault's bound). */
export const MAX_RANDOM_BYTES = 128 * 1024;
const SOURCES = ["platform", "seal", "all"];
const WRITE = ["POST", "PUT"];

/** Routes for random bytes. */
export function transitRandomRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.on(WRITE, ["/random", "/random/:first", "/random/:first/:second"], async (c) => {
    const fields = await readFields(c);
    const size = urlBytes(c) ?? fields.int("bytes") ?? 32;
    if (size < 1 || size > MAX_RANDOM_BYTES) {
      throw new HsmError("invalid_request", `Invalid bytes: expected 1 to ${MAX_RANDOM_BYTES}`);
    }
    const format = fields.choice("format", ["base64", "hex"], "base64");
    const bytes = new Uint8Array(size);
    for (let at = 0; at < size; at += 65536) {
      crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)));
    }
    return vaultJson(c, { random_bytes: format === "hex" ? toHex(bytes) : toBase64(bytes) });
  });
  return app;
}

/** The byte count named in the URL (`/random/32`, `/random/platform/32`), if any. */
function urlBytes(c: Context<AppEnv>): number | undefined {
  const first = c.req.param("first");
  const second = c.req.param("second");
  if (first === undefined) return undefined;
  if (second === undefined && !SOURCES.includes(first)) return count(first);
  if (!SOURCES.includes(first)) {
    throw new HsmError("invalid_request", "Invalid source: expected platform, seal or all");
  }
  return second === undefined ? undefined : count(second);
}

function count(text: string): number {
  if (!/^[0-9]{1,9}$/.test(text)) throw new HsmError("invalid_request", "Invalid bytes in the URL");
  return Number(text);
}
