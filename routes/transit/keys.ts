/**
 * `/v1/transit/keys`: create (an upsert, as Vault's), read, list (the `LIST` method or
 * `GET ?list=true`), delete, rotate and config. Parse → key service → Vault's envelope.
 *
 * Differences from Vault, by design: DELETE opens a FerroHSM destruction request (202
 * with the approval; a second Administrator approves it through `/api/v1/approvals`),
 * and a rotation held by dual control answers 202 with its approval too. `config`
 * accepts only values FerroHSM already has (keys are never exportable, decryption goes
 * back to version 1, no automatic rotation) and refuses others with 400.
 */

import { type Context, Hono } from "hono";
import { approvalJson } from "../serialize.ts";
import type { AppEnv } from "../../src/http/context.ts";
import { HsmError } from "../../src/domain/errors.ts";
import type { KeyRecord } from "../../src/domain/records.ts";
import { transitKeyInfo } from "../../src/transit/key_info.ts";
import { transitKeyType } from "../../src/transit/key_types.ts";
import type { VaultFields } from "../../src/transit/vault_format.ts";
import type { ApprovalRecord } from "../../src/domain/records.ts";
import { nameParam, readFields, type TransitServices, vaultJson, vaultNotFound } from "./_vault.ts";

const WRITE = ["POST", "PUT"];
const LIST_TRUE: ReadonlySet<string> = new Set(["1", "t", "T", "true", "TRUE", "True"]);

/** Routes for Transit key management. */
export function transitKeysRoutes(s: TransitServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const list = async (c: Context<AppEnv>) => {
    const names = await s.names.list(c.get("actor"));
    return names.length === 0 ? vaultNotFound(c) : vaultJson(c, { keys: names });
  };
  app.on("LIST", ["/keys", "/keys/"], list);
  // Vault parses `list` as a Go boolean: clients send `true` (hvac) or `1` (node-vault).
  app.get("/keys", (c) => LIST_TRUE.has(c.req.query("list") ?? "") ? list(c) : vaultNotFound(c));

  app.on(WRITE, "/keys/:name", async (c) => {
    const fields = await readFields(c);
    refuseCreateOptions(fields);
    const type = transitKeyType(fields.string("type") || "aes256-gcm96");
    const name = nameParam(c);
    const { key, created } = await s.names.create(c.get("actor"), name, type);
    const warnings = created ? [] : [`key ${name} already existed`];
    return vaultJson(c, await info(c, s, key), { warnings });
  });

  app.get("/keys/:name", async (c) => {
    const record = await s.names.find(c.get("actor"), nameParam(c));
    return record === undefined ? vaultNotFound(c) : vaultJson(c, await info(c, s, record));
  });

  app.delete("/keys/:name", async (c) => {
    const name = nameParam(c);
    const record = await s.names.get(c.get("actor"), name);
    const approval = await s.keys.requestDestroy(c.get("actor"), record.id);
    return held(c, approval, `destroying key ${name}`);
  });

  app.on(WRITE, "/keys/:name/rotate", async (c) => {
    const record = await s.names.get(c.get("actor"), nameParam(c));
    const change = await s.keys.rotate(c.get("actor"), record.id);
    if (change.approval !== undefined) {
      return held(c, change.approval, `rotating key ${nameParam(c)}`);
    }
    return vaultJson(c, await info(c, s, change.key));
  });

  app.on(WRITE, "/keys/:name/config", async (c) => {
    const fields = await readFields(c);
    const record = await s.names.get(c.get("actor"), nameParam(c));
    const warnings = checkConfig(fields);
    return vaultJson(c, await info(c, s, record), { warnings });
  });

  return app;
}

function info(c: Context<AppEnv>, s: TransitServices, record: KeyRecord) {
  return transitKeyInfo(s, c.get("actor"), nameParam(c), record);
}

/** A change waiting for approvers: 202 with the approval and a warning saying so. */
function held(c: Context<AppEnv>, approval: ApprovalRecord, what: string): Response {
  return vaultJson(c, { approval: approvalJson(approval) }, {
    status: 202,
    warnings: [
      `${what} needs approval ${approval.id} (POST /api/v1/approvals/${approval.id}/approve)`,
    ],
  });
}

function refuseCreateOptions(fields: VaultFields): void {
  for (const flag of ["derived", "convergent_encryption", "exportable", "allow_plaintext_backup"]) {
    if (fields.bool(flag) === true) {
      throw new HsmError("invalid_request", `Cannot create a key with ${flag}: not offered`);
    }
  }
  if (!zeroPeriod(fields)) {
    throw new HsmError(
      "invalid_request",
      "Cannot create a key with auto_rotate_period: not offered",
    );
  }
  const size = fields.int("key_size");
  if (size !== undefined && size !== 0 && size !== 32) {
    throw new HsmError("invalid_request", "Invalid key_size: hmac keys are 32 bytes");
  }
}

/** Checks a config request against what FerroHSM has; returns warnings for no-ops. */
function checkConfig(fields: VaultFields): string[] {
  const warnings: string[] = [];
  const minDecryption = fields.int("min_decryption_version");
  if (minDecryption !== undefined && minDecryption > 1) {
    throw new HsmError("invalid_request", "Cannot set min_decryption_version: not offered");
  }
  const minEncryption = fields.int("min_encryption_version");
  if (minEncryption !== undefined && minEncryption !== 0) {
    throw new HsmError("invalid_request", "Cannot set min_encryption_version: not offered");
  }
  for (const flag of ["exportable", "allow_plaintext_backup"]) {
    if (fields.bool(flag) === true) {
      throw new HsmError("invalid_request", `Cannot set ${flag}: FerroHSM keys never leave it`);
    }
  }
  if (!zeroPeriod(fields)) {
    throw new HsmError("invalid_request", "Cannot set auto_rotate_period: not offered");
  }
  if (fields.bool("deletion_allowed") !== undefined) {
    warnings.push(
      "deletion_allowed is not stored: destroying a key always needs a second administrator's approval",
    );
  }
  return warnings;
}

/** True when `auto_rotate_period` is absent or zero (seconds, or a duration such as "0s"). */
function zeroPeriod(fields: VaultFields): boolean {
  if (!fields.has("auto_rotate_period")) return true;
  try {
    return fields.int("auto_rotate_period") === 0;
  } catch {
    return /^0+[smhd]?$/.test(fields.string("auto_rotate_period") ?? "");
  }
}
