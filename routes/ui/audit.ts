/**
 * `GET /ui/audit` (the timeline page, or the `#audit-table` fragment for htmx), `GET
 * /ui/audit/rows` (the rows of "Load more") and `GET /ui/audit/verify` (Verify chain:
 * the verdict fragment, or the page with it). Reading and verifying need `audit:read`
 * and are audited by the audit service, as through the API.
 */

import { type Context, Hono } from "hono";
import { entryHash } from "../../src/audit/chain.ts";
import type { TimelineQuery } from "../../src/audit/audit_timeline.ts";
import type { AuditEntry } from "../../src/domain/audit_entry.ts";
import type { UiEnv } from "../../src/http/ui_session_middleware.ts";
import {
  type AuditFiltersModel,
  AuditPage,
  type AuditRowModel,
  AuditRows,
  type AuditRowsModel,
  AuditTable,
  type VerifyModel,
  VerifyResult,
} from "../../views/audit.tsx";
import {
  html,
  isHtmx,
  queryString,
  targets,
  type UiDeps,
  verifyText,
  viewerOf,
} from "./_shared.ts";

/** Entries per page. */
export const AUDIT_PAGE_SIZE = 50;

/** Routes of the Audit page. */
export function auditRoutes(deps: UiDeps): Hono<UiEnv> {
  const app = new Hono<UiEnv>();

  app.get("/ui/audit", async (c) => {
    const { filters, query, error } = readFilters(c);
    const page = error === undefined ? await rowsModel(c, deps, filters, query) : { rows: [] };
    const model = { filters, page, headSeq: deps.overview.auditHead().seq, error };
    if (targets(c, "audit-table")) return html(c, AuditTable({ model }));
    return html(c, AuditPage({ model, viewer: viewerOf(c, deps) }));
  });

  app.get("/ui/audit/rows", async (c) => {
    const { filters, query, error } = readFilters(c);
    const page = error === undefined ? await rowsModel(c, deps, filters, query) : { rows: [] };
    return html(c, AuditRows({ model: page }));
  });

  app.get("/ui/audit/verify", async (c) => {
    const result = await deps.audit.verify(c.get("actor"));
    const verify: VerifyModel = { intact: result.valid, text: verifyText(result) };
    if (isHtmx(c)) return html(c, VerifyResult({ model: verify }));
    const filters = { actor: "", action: "", key: "" };
    const page = await rowsModel(c, deps, filters, { limit: AUDIT_PAGE_SIZE });
    const model = { filters, page, headSeq: deps.overview.auditHead().seq, verify };
    return html(c, AuditPage({ model, viewer: viewerOf(c, deps) }));
  });

  return app;
}

interface ReadFilters {
  readonly filters: AuditFiltersModel;
  readonly query: TimelineQuery;
  readonly error?: string;
}

function readFilters(c: Context<UiEnv>): ReadFilters {
  const filters: AuditFiltersModel = {
    actor: (c.req.query("actor") ?? "").trim(),
    action: (c.req.query("action") ?? "").trim(),
    key: (c.req.query("key") ?? "").trim(),
  };
  const before = c.req.query("before");
  const beforeSeq = before === undefined ? undefined : Number(before);
  const query: TimelineQuery = {
    limit: AUDIT_PAGE_SIZE,
    ...(filters.actor === "" ? {} : { actor: filters.actor }),
    ...(filters.action === "" ? {} : { action: filters.action }),
    ...(filters.key === "" ? {} : { keyId: filters.key }),
    ...(beforeSeq === undefined ? {} : { beforeSeq }),
  };
  if (beforeSeq !== undefined && (!Number.isSafeInteger(beforeSeq) || beforeSeq < 1)) {
    return { filters, query: { limit: AUDIT_PAGE_SIZE }, error: "That page link is not valid" };
  }
  if (filters.actor.length > 256 || filters.action.length > 128 || filters.key.length > 64) {
    return { filters, query: { limit: AUDIT_PAGE_SIZE }, error: "A filter is too long" };
  }
  return { filters, query };
}

async function rowsModel(
  c: Context<UiEnv>,
  deps: UiDeps,
  filters: AuditFiltersModel,
  query: TimelineQuery,
): Promise<AuditRowsModel> {
  const page = await deps.audit.timeline(c.get("actor"), query);
  return {
    rows: auditRows(page.entries),
    more: page.nextBeforeSeq === undefined ? undefined : queryString({
      actor: filters.actor,
      action: filters.action,
      key: filters.key,
      before: String(page.nextBeforeSeq),
    }),
  };
}

/** Entries (newest first) as rows, marking each link of the chain the page shows. */
export function auditRows(entries: readonly AuditEntry[]): AuditRowModel[] {
  const hashes = entries.map((e) => entryHash(e));
  return entries.map((e, i) => {
    const below = entries[i + 1];
    return {
      seq: e.seq,
      ts: e.ts,
      actor: e.actor,
      action: e.action,
      keyId: e.key_id,
      result: e.result,
      hash: hashes[i] as string,
      prevHash: e.prev_hash,
      linkedBelow: below !== undefined && below.seq === e.seq - 1 && hashes[i + 1] === e.prev_hash,
    };
  });
}
