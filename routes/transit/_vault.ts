/**
 * What every Transit router shares: the services it calls, the request body as Vault
 * fields, and Vault's envelope for answers (`{"data": ...}`) and its bare 404.
 */

import type { Context } from "hono";
import type { AppEnv } from "../../src/http/context.ts";
import type { CryptoService } from "../../src/keys/crypto_service.ts";
import type { KeyService } from "../../src/keys/key_service.ts";
import type { TransitTarget } from "../../src/transit/transit_ciphers.ts";
import type { TransitKeys } from "../../src/transit/transit_keys.ts";
import { parseVaultBody, type VaultFields } from "../../src/transit/vault_format.ts";
import { vaultBody } from "../../src/transit/vault_http.ts";
import { runBatch } from "../../src/transit/batch.ts";

/** The services behind the Transit routers. */
export interface TransitServices {
  readonly keys: KeyService;
  readonly crypto: CryptoService;
  readonly names: TransitKeys;
}

/** The request body as Vault fields (an empty body has none). */
export async function readFields(c: Context<AppEnv>): Promise<VaultFields> {
  return parseVaultBody(await c.req.text());
}

/** The `:name` path parameter. */
export function nameParam(c: Context<AppEnv>): string {
  return c.req.param("name") ?? "";
}

/** Answers `data` in Vault's envelope. */
export function vaultJson(
  c: Context<AppEnv>,
  data: unknown,
  options: { warnings?: readonly string[]; status?: 200 | 202 } = {},
): Response {
  return c.json(vaultBody(c.get("requestId"), data, options.warnings), options.status ?? 200);
}

/**
 * Runs `op` on the body itself, or on each `batch_input` item; a batch answers
 * `{"data": {"batch_results": [...]}}` with the status of Vault's batch rules.
 */
export async function answerItems<T extends object>(
  c: Context<AppEnv>,
  fields: VaultFields,
  op: (item: VaultFields) => Promise<T>,
): Promise<Response> {
  const items = fields.batch();
  if (items === undefined) return vaultJson(c, await op(fields));
  const outcome = await runBatch(items, op, fields.int("partial_failure_response_code"));
  const body = vaultBody(c.get("requestId"), { batch_results: outcome.results });
  // deno-lint-ignore no-explicit-any -- the status comes from Vault's batch rules
  return c.json(body, outcome.status as any);
}

/** Vault's answer for a read of something that does not exist: 404 `{"errors": []}`. */
export function vaultNotFound(c: Context<AppEnv>): Response {
  return c.json({ errors: [] }, 404);
}

/** The target of an operation on `record` by the request's actor. */
export function target(
  c: Context<AppEnv>,
  s: TransitServices,
  record: TransitTarget["record"],
): TransitTarget {
  return { crypto: s.crypto, actor: c.get("actor"), record };
}
