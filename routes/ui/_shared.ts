/**
 * What every dashboard route shares: its dependencies (the services the API uses, the
 * session store, RBAC), telling htmx requests from page loads, the viewer of a page,
 * rendering refusals and failures as pages or as notices swapped into the live region,
 * and the fixed vocabulary of notices a redirect may name (never free text from a URL).
 */

import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { Guard } from "../../src/access/guard.ts";
import type { Action, Role } from "../../src/access/rbac.ts";
import type { ApprovalService } from "../../src/approvals/approval_service.ts";
import type { AuditService } from "../../src/audit/audit_service.ts";
import { HsmError } from "../../src/domain/errors.ts";
import { statusForCode } from "../../src/contract/status.ts";
import type { Authenticator } from "../../src/http/auth_middleware.ts";
import type { UiEnv } from "../../src/http/ui_session_middleware.ts";
import type { CertificateMap } from "../../src/http/ui_certificates.ts";
import type { SessionStore } from "../../src/http/ui_sessions.ts";
import type { RateLimiter } from "../../src/http/rate_limiter.ts";
import type { CryptoService } from "../../src/keys/crypto_service.ts";
import type { KeyService } from "../../src/keys/key_service.ts";
import type { RateSeries } from "../../src/metrics/request_rate.ts";
import type { NoticeModel } from "../../views/components.tsx";
import { type ErrorModel, ErrorNotice, ErrorPage } from "../../views/error.tsx";
import type { Viewer } from "../../views/layout.tsx";

/** A store's reachability as the health probe reports it. */
export interface StoreProbeFigures {
  readonly kind: string;
  readonly ok: boolean;
  readonly latency_ms: number;
}

/** Where the Overview reads its figures. */
export interface OverviewSource {
  /** The exposition text `/metrics` serves. */
  metricsText(): Promise<string>;
  /** The same store probes `/healthz` runs. */
  storeHealth(): Promise<Readonly<Record<string, StoreProbeFigures>>>;
  /** The audit log's last durable entry. */
  auditHead(): { readonly seq: number; readonly hash: string };
  /** Requests and errors per second over the last minutes. */
  requestRate(): RateSeries;
  /** The server's version text. */
  readonly version: string;
}

/** Everything the dashboard routes need (built by the composition root). */
export interface UiDeps {
  readonly keys: KeyService;
  readonly crypto: CryptoService;
  readonly approvals: ApprovalService;
  readonly audit: AuditService;
  /** Verifies pasted tokens (the API's authenticator: failures count in its metric). */
  readonly authenticator: Authenticator;
  readonly sessions: SessionStore;
  readonly certificates: CertificateMap;
  /** Audits sign-in and sign-out (the same audit log and RBAC policy as the services). */
  readonly guard: Guard;
  /** RBAC decisions, to offer only what the viewer may do. */
  readonly allows: (roles: readonly Role[], action: Action) => boolean;
  readonly overview: OverviewSource;
  /** Per-actor rate limit shared with the API (the same buckets). */
  readonly actorLimiter?: RateLimiter | undefined;
  /** True when the listener requires client certificates. */
  readonly mtls: boolean;
  /** Current time in epoch ms (tests). */
  readonly clock?: () => number;
}

/** True for a request made by htmx (answered with a fragment). */
export function isHtmx(c: Context): boolean {
  return c.req.header("HX-Request") === "true" &&
    c.req.header("HX-History-Restore-Request") !== "true";
}

/** True when htmx asks for the element with this id. */
export function targets(c: Context, id: string): boolean {
  return isHtmx(c) && c.req.header("HX-Target") === id;
}

/** The signed-in viewer of a page. */
export function viewerOf(c: Context<UiEnv>, deps: UiDeps): Viewer {
  const session = c.get("session");
  return {
    id: session.actor.id,
    roles: session.actor.roles,
    csrfToken: session.csrfToken,
    canReadAudit: deps.allows(session.actor.roles, "audit:read"),
  };
}

/** True when the signed-in roles grant `action`. */
export function may(c: Context<UiEnv>, deps: UiDeps, action: Action): boolean {
  return deps.allows(c.get("session").actor.roles, action);
}

/** Renders a page or fragment element as HTML. */
export function html(c: Context, element: Child, status = 200): Promise<Response> | Response {
  // deno-lint-ignore no-explicit-any -- Hono's status type is a union of literals
  return c.html(element as any, status as any);
}

const TITLES: Readonly<Partial<Record<string, string>>> = {
  invalid_request: "Invalid request",
  unauthenticated: "Not signed in",
  forbidden: "Not allowed",
  policy_denied: "Refused by a policy",
  not_found: "Not found",
  conflict: "Conflict",
  invalid_state: "Not possible now",
  integrity_error: "Integrity check failed",
  rate_limited: "Too many requests",
  audit_unavailable: "Audit log unavailable",
  unavailable: "Unavailable",
};

/** The page model of any thrown value (internal errors get a generic message). */
export function errorModel(err: unknown): ErrorModel {
  const e = err instanceof HsmError ? err : new HsmError("internal", "Internal error");
  return {
    status: statusForCode(e.code),
    title: TITLES[e.code] ?? "Something went wrong",
    message: e.code === "internal" ? "The server could not complete the request." : e.message,
  };
}

/**
 * Renders a refusal or failure: for htmx a notice swapped into the live region (the
 * target stays as it was), otherwise a full page.
 */
export function renderError(
  c: Context<UiEnv>,
  err: unknown,
  deps: UiDeps,
): Promise<Response> | Response {
  const model = errorModel(err);
  if (err instanceof HsmError && err.code === "rate_limited") c.header("Retry-After", "1");
  if (isHtmx(c)) {
    c.header("HX-Retarget", "#notices");
    c.header("HX-Reswap", "innerHTML");
    return html(c, ErrorNotice({ model }), model.status);
  }
  const session = c.get("session") as UiEnv["Variables"]["session"] | undefined;
  const viewer = session === undefined ? undefined : viewerOf(c, deps);
  return html(c, ErrorPage({ model, viewer }), model.status);
}

/** Notices a redirect may ask for (`?notice=`), so no URL can put text on a page. */
export const NOTICES: Readonly<Record<string, NoticeModel>> = {
  created: { kind: "success", text: "Key created." },
  rotated: { kind: "success", text: "Key rotated: a new version is current." },
  rolled_back: {
    kind: "success",
    text: "Key rolled back: a new version holds the chosen material.",
  },
  revoked: { kind: "success", text: "Key revoked." },
  approval_requested: {
    kind: "info",
    text: "Change requested: it waits for another administrator's approval.",
    link: { href: "/ui/approvals", label: "Open the approval queue" },
  },
  destroy_requested: {
    kind: "info",
    text: "Destruction requested: it waits for another administrator's approval.",
    link: { href: "/ui/approvals", label: "Open the approval queue" },
  },
  approved: { kind: "success", text: "Approval recorded." },
  executed: {
    kind: "success",
    text: "Approved: the quorum is met and the action was carried out.",
  },
  denied: { kind: "success", text: "Request denied." },
};

/** The notice a redirect named, if it is one of NOTICES. */
export function noticeFrom(c: Context): NoticeModel | undefined {
  const name = c.req.query("notice");
  return name !== undefined && Object.hasOwn(NOTICES, name) ? NOTICES[name] : undefined;
}

/** A field of a parsed form as one string ("" when absent or repeated). */
export function formString(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  return typeof v === "string" ? v : "";
}

/** A field of a parsed form as a list of strings. */
export function formList(body: Record<string, unknown>, name: string): string[] {
  const v = body[name];
  if (typeof v === "string") return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** The `?name=value&...` text of `params` without empty values. */
export function queryString(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, v);
  return q.toString();
}

/** `Chain intact (N entries)` or `Chain broken at entry N: reason`. */
export function verifyText(
  result: { valid: true; entries: number } | {
    valid: false;
    first_bad_seq: number;
    reason: string;
  },
): string {
  return result.valid
    ? `Chain intact (${result.entries} entries)`
    : `Chain broken at entry ${result.first_bad_seq}: ${result.reason}`;
}
