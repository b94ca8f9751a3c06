/**
 * `GET /ui/approvals` (pending requests and history) and `POST
 * /ui/approvals/:id/{approve,deny}`. Approve is offered only to roles granted
 * `approval:decide`, never on the viewer's own request nor twice; the approval service
 * refuses the same cases if a request is forced. A decision answers the refreshed
 * `#approvals-main` section with a notice (htmx), or redirects with a notice.
 */

import { type Context, Hono } from "hono";
import { HsmError } from "../../src/domain/errors.ts";
import type { ApprovalRecord } from "../../src/domain/records.ts";
import type { UiEnv } from "../../src/http/ui_session_middleware.ts";
import {
  type ApprovalRowModel,
  ApprovalsMainUpdate,
  type ApprovalsModel,
  ApprovalsPage,
} from "../../views/approvals.tsx";
import { html, isHtmx, may, noticeFrom, NOTICES, type UiDeps, viewerOf } from "./_shared.ts";

/** History rows shown at most. */
export const HISTORY_LIMIT = 100;

/** Pending rows whose key names are looked up at most. */
const NAMED_LIMIT = 50;

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** Routes of the Approvals page. */
export function approvalsRoutes(deps: UiDeps): Hono<UiEnv> {
  const app = new Hono<UiEnv>();

  app.get("/ui/approvals", async (c) => {
    const model = await approvalsModel(c, deps);
    return html(c, ApprovalsPage({ model, viewer: viewerOf(c, deps), notice: noticeFrom(c) }));
  });

  for (const verb of ["approve", "deny"] as const) {
    app.post(`/ui/approvals/:id/${verb}`, async (c) => {
      const id = c.req.param("id") ?? "";
      if (!ID_RE.test(id)) throw new HsmError("not_found", "No such approval");
      const decided = verb === "approve"
        ? await deps.approvals.approve(c.get("actor"), id)
        : await deps.approvals.deny(c.get("actor"), id);
      const notice = verb === "deny"
        ? "denied"
        : decided.state === "executed"
        ? "executed"
        : "approved";
      if (!isHtmx(c)) return c.redirect(`/ui/approvals?notice=${notice}`, 303);
      const model = await approvalsModel(c, deps);
      return html(c, ApprovalsMainUpdate({ model, notice: NOTICES[notice] }));
    });
  }

  return app;
}

/** `key.destroy` → `Destroy key`, and so on. */
export function approvalLabel(a: Pick<ApprovalRecord, "action" | "params">): string {
  switch (a.action) {
    case "key.destroy":
      return "Destroy key";
    case "key.activate":
      return "Activate key";
    case "key.rotate":
      return "Rotate key";
    case "key.rollback":
      return typeof a.params.version === "number"
        ? `Roll back key to version ${a.params.version}`
        : "Roll back key";
    default:
      return a.action;
  }
}

async function approvalsModel(c: Context<UiEnv>, deps: UiDeps): Promise<ApprovalsModel> {
  const actor = c.get("actor");
  const newestFirst = (items: readonly ApprovalRecord[]) =>
    items.toSorted((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  // At most one request per action and key is pending, so one page holds them.
  const pending = newestFirst(
    (await deps.approvals.list(actor, { state: "pending", offset: 0, limit: 100 })).items,
  );
  // The store lists oldest first: the history is the last page, newest first.
  const { total } = await deps.approvals.list(actor, { offset: 0, limit: 0 });
  const recent = await deps.approvals.list(actor, {
    offset: Math.max(0, total - HISTORY_LIMIT - pending.length),
    limit: HISTORY_LIMIT + pending.length,
  });
  const history = newestFirst(recent.items).filter((a) => a.state !== "pending").slice(
    0,
    HISTORY_LIMIT,
  );
  const names = await keyNames(c, deps, pending.slice(0, NAMED_LIMIT));
  const decide = may(c, deps, "approval:decide");
  const row = (a: ApprovalRecord): ApprovalRowModel => {
    const own = a.requestedBy === actor.id;
    const approvers = a.approvals.map((x) => x.actor);
    return {
      id: a.id,
      label: approvalLabel(a),
      keyId: a.keyId,
      keyName: a.keyId === null ? undefined : names.get(a.keyId),
      requestedBy: a.requestedBy,
      approvers,
      quorum: a.quorum,
      state: a.state,
      createdAt: a.createdAt,
      expiresAt: a.expiresAt,
      own,
      canApprove: decide && a.state === "pending" && !own && !approvers.includes(actor.id),
      canDeny: decide && a.state === "pending",
    };
  };
  return {
    pending: pending.map(row),
    history: history.map(row),
    csrfToken: c.get("session").csrfToken,
    now: deps.clock?.() ?? Date.now(),
  };
}

/** Names of the keys pending approvals concern (each read audited; unreadable ones skipped). */
async function keyNames(
  c: Context<UiEnv>,
  deps: UiDeps,
  approvals: readonly ApprovalRecord[],
): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (!may(c, deps, "key:read")) return names;
  const ids = [...new Set(approvals.map((a) => a.keyId).filter((id): id is string => id !== null))];
  for (const id of ids) {
    try {
      names.set(id, (await deps.keys.get(c.get("actor"), id)).name);
    } catch (err) {
      if (err instanceof HsmError && err.code === "audit_unavailable") throw err;
    }
  }
  return names;
}
