/**
 * The one page layout of the dashboard: head (stylesheet, htmx and our script from
 * content-hashed URLs; the htmx configuration in a meta tag), header with navigation and
 * Sign out, the live notice region, and the page. A pure function of its props.
 *
 * Security: no inline script or style anywhere (the CSP allows neither); htmx runs with
 * eval, script tags in swapped content and cross-origin requests all disabled, and keeps
 * no page snapshots in localStorage (`historyCacheSize: 0`), since pages show key
 * metadata and audit entries. The CSRF token reaches htmx through `hx-headers` on body.
 */

import type { Child } from "hono/jsx";
import type { View } from "./view.ts";
import { raw } from "hono/html";
import { ASSETS } from "./assets.ts";

/** The dashboard sections (navigation entries). */
export type Section = "overview" | "keys" | "approvals" | "audit";

/** The signed-in person, as every page shows them. */
export interface Viewer {
  readonly id: string;
  readonly roles: readonly string[];
  readonly csrfToken: string;
  /** Whether the Audit section is offered. */
  readonly canReadAudit: boolean;
}

/** Props of the layout. */
export interface LayoutProps {
  readonly title: string;
  readonly section?: Section | undefined;
  readonly viewer?: Viewer | undefined;
  /** Notices shown in the live region on load. */
  readonly notices?: Child;
  readonly children?: Child;
}

/** htmx settings (read by htmx from the `htmx-config` meta tag). */
export const HTMX_CONFIG = Object.freeze({
  allowEval: false,
  includeIndicatorStyles: false,
  allowScriptTags: false,
  selfRequestsOnly: true,
  historyCacheSize: 0,
  refreshOnHistoryMiss: true,
  // Our error answers are fragments meant to be shown (validation errors, refusals).
  responseHandling: [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "[45]..", swap: true, error: false },
  ],
});

const NAV: readonly { section: Section; href: string; label: string }[] = [
  { section: "overview", href: "/ui", label: "Overview" },
  { section: "keys", href: "/ui/keys", label: "Keys" },
  { section: "approvals", href: "/ui/approvals", label: "Approvals" },
  { section: "audit", href: "/ui/audit", label: "Audit" },
];

/**
 * The page layout. Navigation names (`Overview`, `Keys`, `Approvals`, `Audit`) and `Sign
 * out` are part of the contract (api.md § Dashboard): no other link or button on a page
 * may contain them, since browser tests match names by substring.
 */
export function Layout(props: LayoutProps): View {
  const { viewer } = props;
  const headers = viewer === undefined
    ? undefined
    : JSON.stringify({ "X-CSRF-Token": viewer.csrfToken });
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="light dark" />
          <meta name="htmx-config" content={JSON.stringify(HTMX_CONFIG)} />
          <title>{props.title} · FerroHSM</title>
          <link rel="icon" type="image/svg+xml" href={ASSETS.icon.path} />
          <link rel="stylesheet" href={ASSETS.css.path} />
          <script src={ASSETS.htmx.path} defer></script>
          <script src={ASSETS.script.path} defer></script>
        </head>
        <body hx-headers={headers}>
          <a class="skip-link" href="#main">Skip to main content</a>
          <header class="site-header">
            <div class="bar">
              <a class="brand" href="/ui">
                <img src={ASSETS.icon.path} alt="" width="28" height="28" />
                FerroHSM
              </a>
              {viewer === undefined ? null : <Navigation viewer={viewer} section={props.section} />}
              {viewer === undefined ? null : <UserMenu viewer={viewer} />}
            </div>
          </header>
          <main id="main" tabindex={-1}>
            <div id="notices" class="notices" role="status" aria-live="polite">
              {props.notices}
            </div>
            {props.children}
          </main>
          <footer class="site-footer">
            FerroHSM dashboard · every action is authorized and written to the audit log
          </footer>
        </body>
      </html>
    </>
  );
}

function Navigation(props: { viewer: Viewer; section?: Section | undefined }) {
  const entries = NAV.filter((n) => n.section !== "audit" || props.viewer.canReadAudit);
  return (
    <nav aria-label="Main">
      <ul class="nav">
        {entries.map((n) => (
          <li>
            <a href={n.href} aria-current={n.section === props.section ? "page" : undefined}>
              {n.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function UserMenu(props: { viewer: Viewer }) {
  const { viewer } = props;
  return (
    <div class="user">
      <span class="who">
        Signed in as <strong>{viewer.id}</strong> ({viewer.roles.join(", ")})
      </span>
      <form method="post" action="/ui/logout">
        <input type="hidden" name="_csrf" value={viewer.csrfToken} />
        <button type="submit" class="secondary">Sign out</button>
      </form>
    </div>
  );
}
