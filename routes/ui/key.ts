/**
 * The key page and its actions: `GET /ui/keys/:id` (page; `?confirm=ACTION` opens that
 * action's confirmation step without JavaScript), `GET /ui/keys/:id/actions` (the
 * actions panel fragment, with or without a confirmation step), `GET
 * /ui/keys/:id/public.pem` (download), and `POST /ui/keys/:id/{rotate,rollback,revoke,
 * destroy}`. A confirmed action answers the refreshed `#key-main` section with a notice
 * (htmx), or redirects back to the page with a notice (plain form).
 *
 * Offered actions follow the viewer's roles (RBAC) and the key's state (the lifecycle
 * rules); a forced request is refused by the same services the API uses.
 */

import { type Context, Hono } from "hono";
import type { Action } from "../../src/access/rbac.ts";
import { algorithmInfo } from "../../src/core/algorithms.ts";
import { HsmError, isHsmError } from "../../src/domain/errors.ts";
import { canTransition, type KeyTransition } from "../../src/domain/key_lifecycle.ts";
import type { ApprovalRecord, KeyRecord } from "../../src/domain/records.ts";
import type { UiEnv } from "../../src/http/ui_session_middleware.ts";
import type { VersionInfo } from "../../src/keys/key_service.ts";
import {
  KEY_ACTIONS,
  type KeyAction,
  KeyActions,
  type KeyActionsModel,
} from "../../views/key_actions.tsx";
import { KeyMainUpdate, KeyPage, type KeyPageModel } from "../../views/key.tsx";
import { approvalLabel } from "./approvals.ts";
import { html, isHtmx, may, noticeFrom, NOTICES, type UiDeps, viewerOf } from "./_shared.ts";

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

const RULES: Readonly<Record<KeyAction, { rbac: Action; transition: KeyTransition }>> = {
  rotate: { rbac: "key:rotate", transition: "rotate" },
  rollback: { rbac: "key:rollback", transition: "rollback" },
  revoke: { rbac: "key:revoke", transition: "revoke" },
  destroy: { rbac: "key:destroy", transition: "destroy" },
};

/** Routes of the key page. */
export function keyRoutes(deps: UiDeps): Hono<UiEnv> {
  const app = new Hono<UiEnv>();

  app.get("/ui/keys/:id", async (c) => {
    const id = keyId(c);
    const confirm = c.req.query("confirm");
    const model = await pageModel(c, deps, id, isAction(confirm) ? confirm : undefined);
    return html(c, KeyPage({ model, viewer: viewerOf(c, deps), notice: noticeFrom(c) }));
  });

  app.get("/ui/keys/:id/actions", async (c) => {
    const id = keyId(c);
    const confirm = c.req.query("confirm");
    const record = await deps.keys.get(c.get("actor"), id);
    const pending = await pendingFor(c, deps, id);
    return html(
      c,
      KeyActions({
        model: actionsModel(c, deps, record, pending, isAction(confirm) ? confirm : undefined),
        focus: isHtmx(c),
      }),
    );
  });

  app.get("/ui/keys/:id/public.pem", async (c) => {
    const id = keyId(c);
    const record = await deps.keys.get(c.get("actor"), id);
    const pub = await deps.crypto.publicKey(c.get("actor"), id);
    const base = record.name.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 64) || "key";
    return c.body(pub.pem, 200, {
      "Content-Type": "application/x-pem-file",
      "Content-Disposition": `attachment; filename="${base}-v${pub.version}.pem"`,
    });
  });

  for (const action of KEY_ACTIONS) {
    app.post(`/ui/keys/:id/${action}`, async (c) => {
      const id = keyId(c);
      const notice = await perform(c, deps, id, action);
      if (!isHtmx(c)) return c.redirect(`/ui/keys/${id}?notice=${notice}`, 303);
      const model = await pageModel(c, deps, id, undefined);
      return html(c, KeyMainUpdate({ model, notice: NOTICES[notice] }));
    });
  }

  return app;
}

function isAction(value: string | undefined): value is KeyAction {
  return value !== undefined && (KEY_ACTIONS as readonly string[]).includes(value);
}

function keyId(c: Context<UiEnv>): string {
  const id = c.req.param("id") ?? "";
  if (!ID_RE.test(id)) throw new HsmError("not_found", "No such key");
  return id;
}

/** Runs a confirmed action; returns the notice to show. */
async function perform(
  c: Context<UiEnv>,
  deps: UiDeps,
  id: string,
  action: KeyAction,
): Promise<string> {
  const actor = c.get("actor");
  switch (action) {
    case "rotate": {
      const change = await deps.keys.rotate(actor, id);
      return change.approval === undefined ? "rotated" : "approval_requested";
    }
    case "rollback": {
      const body = await c.req.parseBody();
      const version = Number(typeof body.version === "string" ? body.version : NaN);
      if (!Number.isSafeInteger(version) || version < 1) {
        throw new HsmError("invalid_request", "Cannot roll back: choose a version");
      }
      const change = await deps.keys.rollback(actor, id, version);
      return change.approval === undefined ? "rolled_back" : "approval_requested";
    }
    case "revoke":
      await deps.keys.revoke(actor, id);
      return "revoked";
    case "destroy":
      await deps.keys.requestDestroy(actor, id);
      return "destroy_requested";
  }
}

/** Builds the whole key page model (each read is authorized and audited). */
async function pageModel(
  c: Context<UiEnv>,
  deps: UiDeps,
  id: string,
  confirm: KeyAction | undefined,
): Promise<KeyPageModel> {
  const actor = c.get("actor");
  const record = await deps.keys.get(actor, id);
  const [versions, publicKey, pending] = await Promise.all([
    deps.keys.versions(actor, id),
    publicKeyOf(c, deps, record),
    pendingFor(c, deps, id),
  ]);
  return {
    key: {
      id: record.id,
      name: record.name,
      algorithm: record.algorithm,
      usage: record.usage,
      state: record.state,
      currentVersion: record.currentVersion,
      dualControl: record.dualControl,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      tags: Object.entries(record.tags),
    },
    versions: versions.toReversed().map((v: VersionInfo) => ({
      version: v.version,
      state: v.state,
      createdAt: v.createdAt,
      sourceVersion: v.sourceVersion,
      current: v.version === record.currentVersion && v.state === "active",
      keyState: record.state,
    })),
    publicKey,
    actions: actionsModel(c, deps, record, pending, confirm),
    pending: pending.map((a) => ({
      id: a.id,
      label: approvalLabel(a),
      requestedBy: a.requestedBy,
      approvals: a.approvals.length,
      quorum: a.quorum,
      expiresAt: a.expiresAt,
    })),
    now: deps.clock?.() ?? Date.now(),
  };
}

async function publicKeyOf(
  c: Context<UiEnv>,
  deps: UiDeps,
  record: KeyRecord,
): Promise<KeyPageModel["publicKey"]> {
  if (algorithmInfo(record.algorithm)?.asymmetric !== true) {
    return { unavailable: `${record.algorithm} is a symmetric algorithm: there is no public key.` };
  }
  if (record.state === "destroyed") return { unavailable: "The key is destroyed." };
  try {
    const pub = await deps.crypto.publicKey(c.get("actor"), record.id);
    return { pem: pub.pem, version: pub.version };
  } catch (err) {
    if (!isHsmError(err) || err.code === "audit_unavailable") throw err;
    return { unavailable: err.message };
  }
}

async function pendingFor(c: Context<UiEnv>, deps: UiDeps, id: string): Promise<ApprovalRecord[]> {
  if (!may(c, deps, "approval:read")) return [];
  const page = await deps.approvals.list(c.get("actor"), {
    state: "pending",
    keyId: id,
    offset: 0,
    limit: 100,
  });
  return page.items;
}

function actionsModel(
  c: Context<UiEnv>,
  deps: UiDeps,
  record: KeyRecord,
  pending: readonly ApprovalRecord[],
  confirm: KeyAction | undefined,
): KeyActionsModel {
  const offered = KEY_ACTIONS.filter((action) => {
    const rule = RULES[action];
    if (!may(c, deps, rule.rbac) || !canTransition(record.state, rule.transition)) return false;
    if (action === "rollback" && record.currentVersion < 2) return false;
    // A destruction already waiting for approval is not requested twice.
    return action !== "destroy" || !pending.some((a) => a.action === "key.destroy");
  });
  return {
    keyId: record.id,
    keyName: record.name,
    offered,
    confirm: confirm !== undefined && offered.includes(confirm) ? confirm : undefined,
    rollbackTargets: Array.from(
      { length: record.currentVersion - 1 },
      (_, i) => record.currentVersion - 1 - i,
    ),
    csrfToken: c.get("session").csrfToken,
  };
}
