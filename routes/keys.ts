/**
 * `/api/v1/keys` lifecycle endpoints: create, list, get, public, rotate, versions,
 * rollback, revoke, destroy. Parse → call the key service → render.
 */

import { Hono } from "hono";
import { z } from "zod";
import { ALGORITHM_NAMES, USAGE_NAMES } from "../src/domain/algorithms.ts";
import type { AppEnv } from "../src/http/context.ts";
import { keyIdParam, validate, versionNumber } from "../src/http/validation.ts";
import type { CryptoService } from "../src/keys/crypto_service.ts";
import type { KeyService } from "../src/keys/key_service.ts";
import { approvalJson, keyJson, versionJson } from "./serialize.ts";

const createBody = z.strictObject({
  name: z.string().min(1).max(128).regex(/^[\p{L}\p{N} ._:/@-]+$/u, "unsupported characters"),
  algorithm: z.enum(ALGORITHM_NAMES),
  usage: z.array(z.enum(USAGE_NAMES)).max(USAGE_NAMES.length).optional(),
  tags: z.record(
    z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, "tag keys are [A-Za-z0-9_.-]"),
    z.string().max(256),
  ).refine((t) => Object.keys(t).length <= 32, "at most 32 tags").optional(),
  dual_control: z.boolean().optional(),
});

const listQuery = z.strictObject({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(20),
  algorithm: z.enum(ALGORITHM_NAMES).optional(),
  state: z.enum(["staged", "active", "revoked", "destroyed"]).optional(),
  tag: z.string().regex(/^[^:]+:.*$/, "expected k:v").optional(),
});

const publicQuery = z.strictObject({ version: z.coerce.number().int().min(1).optional() });
const rollbackBody = z.strictObject({ version: versionNumber });

/** Routes for key lifecycle management. */
export function keysRoutes(keys: KeyService, cryptoOps: CryptoService): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/", validate("json", createBody), async (c) => {
    const body = c.req.valid("json");
    const { key, approval } = await keys.create(c.get("actor"), {
      name: body.name,
      algorithm: body.algorithm,
      ...(body.usage === undefined ? {} : { usage: body.usage }),
      ...(body.tags === undefined ? {} : { tags: body.tags }),
      dualControl: body.dual_control ?? false,
    });
    if (approval !== undefined) {
      return c.json({ key: keyJson(key), approval: approvalJson(approval) }, 202);
    }
    return c.json(keyJson(key), 201);
  });

  app.get("/", validate("query", listQuery), async (c) => {
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

  app.get("/:id", validate("param", keyIdParam), async (c) => {
    return c.json(keyJson(await keys.get(c.get("actor"), c.req.valid("param").id)));
  });

  app.get(
    "/:id/public",
    validate("param", keyIdParam),
    validate("query", publicQuery),
    async (c) => {
      const { version } = c.req.valid("query");
      return c.json(await cryptoOps.publicKey(c.get("actor"), c.req.valid("param").id, version));
    },
  );

  app.post("/:id/rotate", validate("param", keyIdParam), async (c) => {
    const change = await keys.rotate(c.get("actor"), c.req.valid("param").id);
    return change.approval === undefined
      ? c.json(keyJson(change.key))
      : c.json(approvalJson(change.approval), 202);
  });

  app.get("/:id/versions", validate("param", keyIdParam), async (c) => {
    const items = await keys.versions(c.get("actor"), c.req.valid("param").id);
    return c.json({ items: items.map(versionJson) });
  });

  app.post(
    "/:id/rollback",
    validate("param", keyIdParam),
    validate("json", rollbackBody),
    async (c) => {
      const { version } = c.req.valid("json");
      const change = await keys.rollback(c.get("actor"), c.req.valid("param").id, version);
      return change.approval === undefined
        ? c.json(keyJson(change.key))
        : c.json(approvalJson(change.approval), 202);
    },
  );

  app.post("/:id/revoke", validate("param", keyIdParam), async (c) => {
    return c.json(keyJson(await keys.revoke(c.get("actor"), c.req.valid("param").id)));
  });

  app.delete("/:id", validate("param", keyIdParam), async (c) => {
    const approval = await keys.requestDestroy(c.get("actor"), c.req.valid("param").id);
    return c.json(approvalJson(approval), 202);
  });

  return app;
}
