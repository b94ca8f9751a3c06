/**
 * `/api/v1/approvals`: list, read, approve, deny dual-control requests.
 */

import { Hono } from "hono";
import type { AppEnv } from "../src/http/context.ts";
import { validate } from "../src/http/validation.ts";
import { ListApprovalsQuery } from "../src/contract/approvals.ts";
import { idParam } from "../src/contract/common.ts";
import type { ApprovalService } from "../src/approvals/approval_service.ts";
import { approvalJson } from "./serialize.ts";

/** Routes for dual-control approvals. */
export function approvalsRoutes(approvals: ApprovalService): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const id = validate("param", idParam);

  app.get("/", validate("query", ListApprovalsQuery), async (c) => {
    const q = c.req.valid("query");
    const perPage = q.per_page ?? q.limit ?? 20;
    const page = await approvals.list(c.get("actor"), {
      ...(q.state === undefined ? {} : { state: q.state }),
      offset: (q.page - 1) * perPage,
      limit: perPage,
    });
    return c.json({
      items: page.items.map(approvalJson),
      page: q.page,
      per_page: perPage,
      total: page.total,
    });
  });

  app.get("/:id", id, async (c) => {
    return c.json(approvalJson(await approvals.get(c.get("actor"), c.req.valid("param").id)));
  });

  app.post("/:id/approve", id, async (c) => {
    return c.json(approvalJson(await approvals.approve(c.get("actor"), c.req.valid("param").id)));
  });

  app.post("/:id/deny", id, async (c) => {
    return c.json(approvalJson(await approvals.deny(c.get("actor"), c.req.valid("param").id)));
  });

  return app;
}
