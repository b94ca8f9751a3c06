/**
 * `/api/v1/keys` lifecycle endpoints: create, list, get, public, rotate, versions,
 * rollback, revoke, destroy. Parse (contract schemas) → call the key service → render.
 */

import { type Context, Hono } from "hono";
import { idParam } from "../src/contract/common.ts";
import {
  CreateKeyRequest,
  ListKeysQuery,
  PublicKeyQuery,
  RollbackRequest,
} from "../src/contract/keys.ts";
import type { AppEnv } from "../src/http/context.ts";
import { validate } from "../src/http/validation.ts";
import type { CryptoService } from "../src/keys/crypto_service.ts";
import type { KeyChange, KeyService } from "../src/keys/key_service.ts";
import { approvalJson, keyJson, publicKeyJson, versionJson } from "./serialize.ts";

/** Routes for key lifecycle management. */
export function keysRoutes(keys: KeyService, cryptoOps: CryptoService): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const id = validate("param", idParam);

  app.post("/", validate("json", CreateKeyRequest), async (c) => {
    const body = c.req.valid("json");
    const { key, approval } = await keys.create(c.get("actor"), {
      name: body.name,
      algorithm: body.algorithm,
      ...(body.usage === undefined ? {} : { usage: body.usage }),
      ...(body.tags === undefined ? {} : { tags: body.tags }),
      dualControl: body.dual_control ?? false,
      ...(body.retention_class === undefined ? {} : { retentionClass: body.retention_class }),
    });
    if (approval !== undefined) {
      return c.json({ key: keyJson(key), approval: approvalJson(approval) }, 202);
    }
    return c.json(keyJson(key), 201);
  });

  app.get("/", validate("query", ListKeysQuery), async (c) => {
    const q = c.req.valid("query");
    const sep = q.tag?.indexOf(":") ?? -1;
    const page = await keys.list(c.get("actor"), {
      offset: (q.page - 1) * q.per_page,
      limit: q.per_page,
      ...(q.algorithm === undefined ? {} : { algorithm: q.algorithm }),
      ...(q.state === undefined ? {} : { state: q.state }),
      ...(q.tag === undefined
        ? {}
        : { tag: { key: q.tag.slice(0, sep), value: q.tag.slice(sep + 1) } }),
    });
    return c.json({
      items: page.items.map(keyJson),
      page: q.page,
      per_page: q.per_page,
      total: page.total,
    });
  });

  app.get("/:id", id, async (c) => {
    return c.json(keyJson(await keys.get(c.get("actor"), c.req.valid("param").id)));
  });

  app.get("/:id/public", id, validate("query", PublicKeyQuery), async (c) => {
    const { version } = c.req.valid("query");
    return c.json(
      publicKeyJson(await cryptoOps.publicKey(c.get("actor"), c.req.valid("param").id, version)),
    );
  });

  app.post("/:id/rotate", id, async (c) => {
    const change = await keys.rotate(c.get("actor"), c.req.valid("param").id);
    return changeResponse(c, change);
  });

  app.get("/:id/versions", id, async (c) => {
    const items = await keys.versions(c.get("actor"), c.req.valid("param").id);
    return c.json({ items: items.map(versionJson) });
  });

  app.post("/:id/rollback", id, validate("json", RollbackRequest), async (c) => {
    const { version } = c.req.valid("json");
    const change = await keys.rollback(c.get("actor"), c.req.valid("param").id, version);
    return changeResponse(c, change);
  });

  app.post("/:id/revoke", id, async (c) => {
    return c.json(keyJson(await keys.revoke(c.get("actor"), c.req.valid("param").id)));
  });

  app.delete("/:id", id, async (c) => {
    const approval = await keys.requestDestroy(c.get("actor"), c.req.valid("param").id);
    return c.json(approvalJson(approval), 202);
  });

  return app;
}

/** A change answers the key (200) or, held for approval, the approval (202). */
function changeResponse(c: Context<AppEnv>, change: KeyChange): Response {
  return change.approval === undefined
    ? c.json(keyJson(change.key))
    : c.json(approvalJson(change.approval), 202);
}
