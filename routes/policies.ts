/**
 * `/api/v1/policies`: list, read, version history, create, update, delete and dry-run
 * policy scripts. A change held for dual control answers 202 with its approval.
 */

import { type Context, Hono } from "hono";
import { idParam } from "../src/contract/common.ts";
import { DryRunRequest, PolicyRequest } from "../src/contract/policies.ts";
import type { AppEnv } from "../src/http/context.ts";
import { validate } from "../src/http/validation.ts";
import type { PolicyChange, PolicyService } from "../src/policy/policy_service.ts";
import { parsePolicyScope } from "../src/policy/policy_types.ts";
import type { PolicyDraft } from "../src/policy/policy_writes.ts";
import { approvalJson, policyJson, policyVersionJson } from "./serialize.ts";

/** Routes for policy scripts. */
export function policiesRoutes(policies: PolicyService): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const id = validate("param", idParam);
  const body = validate("json", PolicyRequest);

  app.get("/", async (c) => {
    const views = await policies.list(c.get("actor"));
    return c.json({ items: views.map((v) => policyJson(v)) });
  });

  app.post("/", body, async (c) => {
    const change = await policies.create(c.get("actor"), draftOf(c.req.valid("json")));
    return changeResponse(c, change, 201);
  });

  app.get("/:id", id, async (c) => {
    return c.json(policyJson(await policies.get(c.get("actor"), c.req.valid("param").id), true));
  });

  app.get("/:id/versions", id, async (c) => {
    const rows = await policies.versions(c.get("actor"), c.req.valid("param").id);
    return c.json({ items: rows.map(policyVersionJson) });
  });

  app.put("/:id", id, body, async (c) => {
    const change = await policies.update(
      c.get("actor"),
      c.req.valid("param").id,
      draftOf(c.req.valid("json")),
    );
    return changeResponse(c, change, 200);
  });

  app.delete("/:id", id, async (c) => {
    return changeResponse(c, await policies.remove(c.get("actor"), c.req.valid("param").id), 200);
  });

  app.post("/:id/dry-run", id, validate("json", DryRunRequest), async (c) => {
    const outcome = await policies.dryRun(
      c.get("actor"),
      c.req.valid("param").id,
      c.req.valid("json").context,
    );
    return c.json(
      outcome.allow
        ? { allow: true }
        : { allow: false, reason: outcome.reason, cause: outcome.cause },
    );
  });

  return app;
}

/** The service's draft from a validated body. */
function draftOf(body: { name: string; script: string; scope: unknown }): PolicyDraft {
  return { name: body.name, script: body.script, scope: parsePolicyScope(body.scope) };
}

/** A change answers the policy (`status`) or, held for approval, the approval (202). */
function changeResponse(c: Context<AppEnv>, change: PolicyChange, status: 200 | 201): Response {
  return change.approval === undefined
    ? c.json(policyJson({ source: "api", record: change.policy }, true), status)
    : c.json(approvalJson(change.approval), 202);
}
