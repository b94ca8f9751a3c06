/**
 * `/api/v1/audit` (paged entries) and `/api/v1/audit/verify` (online chain check).
 */

import { Hono } from "hono";
import { z } from "zod";
import type { AuditService } from "../src/audit/audit_service.ts";
import type { AppEnv } from "../src/http/context.ts";
import { validate } from "../src/http/validation.ts";

const listQuery = z.strictObject({
  after_seq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Routes for reading and verifying the audit log. */
export function auditRoutes(audit: AuditService): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", validate("query", listQuery), async (c) => {
    const q = c.req.valid("query");
    return c.json({ items: await audit.list(c.get("actor"), q.after_seq, q.limit) });
  });
  app.get("/verify", async (c) => c.json(await audit.verify(c.get("actor"))));
  return app;
}
