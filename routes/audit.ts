/**
 * `/api/v1/audit` (paged entries) and `/api/v1/audit/verify` (online chain check).
 */

import { Hono } from "hono";
import type { AuditService } from "../src/audit/audit_service.ts";
import type { AppEnv } from "../src/http/context.ts";
import { validate } from "../src/http/validation.ts";
import { ListAuditQuery } from "../src/contract/audit.ts";

/** Routes for reading and verifying the audit log. */
export function auditRoutes(audit: AuditService): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", validate("query", ListAuditQuery), async (c) => {
    const q = c.req.valid("query");
    return c.json({ items: await audit.list(c.get("actor"), q.after_seq, q.limit) });
  });
  app.get("/verify", async (c) => c.json(await audit.verify(c.get("actor"))));
  return app;
}
