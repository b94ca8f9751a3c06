/**
 * `/v1/transit/{encrypt,decrypt,rewrap}/:name` (single or `batch_input`) and
 * `/v1/transit/datakey/{plaintext,wrapped}/:name`. Encrypt upserts an aes256-gcm96 key
 * (or the `type` asked for) when the name does not exist, as Vault does for callers
 * allowed to create keys (here: `key:create`). Parse → translation → Vault's envelope.
 */

import { Hono } from "hono";
import type { AppEnv } from "../../src/http/context.ts";
import { HsmError } from "../../src/domain/errors.ts";
import { transitKeyType } from "../../src/transit/key_types.ts";
import {
  dataKey,
  decryptItem,
  encryptItem,
  rewrapItem,
} from "../../src/transit/transit_ciphers.ts";
import {
  answerItems,
  nameParam,
  readFields,
  target,
  type TransitServices,
  vaultJson,
} from "./_vault.ts";

const WRITE = ["POST", "PUT"];

/** Routes for Transit encryption. */
export function transitEncryptionRoutes(s: TransitServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.on(WRITE, "/encrypt/:name", async (c) => {
    const fields = await readFields(c);
    const actor = c.get("actor");
    const name = nameParam(c);
    let record = await s.names.find(actor, name);
    if (record === undefined) {
      const type = transitKeyType(fields.string("type") || "aes256-gcm96");
      if (type.type !== "aes256-gcm96") {
        throw new HsmError("invalid_request", "Cannot create a key on encrypt: use aes256-gcm96");
      }
      record = (await s.names.create(actor, name, type)).key;
    }
    return await answerItems(c, fields, (item) => encryptItem(target(c, s, record), item));
  });

  app.on(WRITE, "/decrypt/:name", async (c) => {
    const fields = await readFields(c);
    const record = await s.names.get(c.get("actor"), nameParam(c));
    return await answerItems(c, fields, (item) => decryptItem(target(c, s, record), item));
  });

  app.on(WRITE, "/rewrap/:name", async (c) => {
    const fields = await readFields(c);
    const record = await s.names.get(c.get("actor"), nameParam(c));
    return await answerItems(c, fields, (item) => rewrapItem(target(c, s, record), item));
  });

  app.on(WRITE, "/datakey/:kind/:name", async (c) => {
    const kind = c.req.param("kind");
    if (kind !== "plaintext" && kind !== "wrapped") {
      throw new HsmError("invalid_request", "Invalid type: expected plaintext or wrapped");
    }
    const fields = await readFields(c);
    const record = await s.names.get(c.get("actor"), nameParam(c));
    return vaultJson(c, await dataKey(target(c, s, record), fields, kind === "plaintext"));
  });

  return app;
}
