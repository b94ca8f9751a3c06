/**
 * The Approvals page: pending dual-control requests (requester, action, key, quorum
 * progress, time left) with Approve and Deny, and the history of decided ones. The
 * requester's own request never shows Approve (the server refuses it anyway). A decision
 * answers the whole `#approvals-main` section.
 */

import type { View } from "./view.ts";
import {
  CsrfField,
  Notice,
  type NoticeModel,
  OobNotices,
  StateBadge,
  Time,
} from "./components.tsx";
import { timeLeft } from "./format.ts";
import { Layout, type Viewer } from "./layout.tsx";

/** One approval as a row. */
export interface ApprovalRowModel {
  readonly id: string;
  /** The action in words, e.g. `Destroy key`. */
  readonly label: string;
  readonly keyId: string | null;
  /** The key's name, when it was read for this page. */
  readonly keyName?: string | undefined;
  readonly requestedBy: string;
  readonly approvers: readonly string[];
  readonly quorum: number;
  readonly state: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** The viewer requested it. */
  readonly own: boolean;
  readonly canApprove: boolean;
  readonly canDeny: boolean;
}

/** The Approvals page. */
export interface ApprovalsModel {
  readonly pending: readonly ApprovalRowModel[];
  /** Decided requests, newest first. */
  readonly history: readonly ApprovalRowModel[];
  readonly csrfToken: string;
  /** Epoch ms the page was built. */
  readonly now: number;
}

/** The Approvals page (with a notice in the live region after a redirect). */
export function ApprovalsPage(
  props: { model: ApprovalsModel; viewer: Viewer; notice?: NoticeModel | undefined },
): View {
  return (
    <Layout
      title="Approvals"
      section="approvals"
      viewer={props.viewer}
      notices={props.notice === undefined ? undefined : <Notice notice={props.notice} />}
    >
      <div class="page-head">
        <div>
          <h1>Approvals</h1>
          <p>Dual control: sensitive actions wait here for another administrator.</p>
        </div>
      </div>
      <ApprovalsMain model={props.model} />
    </Layout>
  );
}

/** The answer to a decision: both tables refreshed and a notice (out of band). */
export function ApprovalsMainUpdate(
  props: { model: ApprovalsModel; notice?: NoticeModel | undefined },
): View {
  return (
    <>
      <ApprovalsMain model={props.model} focus />
      {props.notice === undefined ? null : <OobNotices notices={[props.notice]} />}
    </>
  );
}

/** Both tables. */
export function ApprovalsMain(props: { model: ApprovalsModel; focus?: boolean }): View {
  const m = props.model;
  return (
    <div id="approvals-main">
      <section class="panel" aria-labelledby="pending-title">
        <h2 id="pending-title" tabindex={-1} data-autofocus={props.focus ? "" : undefined}>
          Pending
        </h2>
        {m.pending.length === 0
          ? <p class="empty">No request is waiting for approval.</p>
          : (
            <div class="table-wrap">
              <table>
                <caption class="visually-hidden">Pending approvals</caption>
                <thead>
                  <tr>
                    <th scope="col">Action</th>
                    <th scope="col">Key</th>
                    <th scope="col">Requested by</th>
                    <th scope="col">Approvals</th>
                    <th scope="col">Time left</th>
                    <th scope="col">Decision</th>
                  </tr>
                </thead>
                <tbody>
                  {m.pending.map((a) => PendingRow({ row: a, model: m }))}
                </tbody>
              </table>
            </div>
          )}
      </section>
      <section class="panel" aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        {m.history.length === 0
          ? <p class="empty">No decided request yet.</p>
          : (
            <div class="table-wrap">
              <table>
                <caption class="visually-hidden">Decided approvals</caption>
                <thead>
                  <tr>
                    <th scope="col">Action</th>
                    <th scope="col">Key</th>
                    <th scope="col">Requested by</th>
                    <th scope="col">Approved by</th>
                    <th scope="col">State</th>
                    <th scope="col" class="hide-narrow">Requested</th>
                  </tr>
                </thead>
                <tbody>
                  {m.history.map((a) => (
                    <tr>
                      <td>{a.label}</td>
                      <td>
                        <KeyLink keyId={a.keyId} name={a.keyName} />
                      </td>
                      <td>{a.requestedBy}</td>
                      <td>{a.approvers.length === 0 ? "–" : a.approvers.join(", ")}</td>
                      <td>
                        <StateBadge state={a.state} />
                      </td>
                      <td class="nowrap hide-narrow">
                        <Time iso={a.createdAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </section>
    </div>
  );
}

function PendingRow(props: { row: ApprovalRowModel; model: ApprovalsModel }) {
  const { row: a, model: m } = props;
  const decide = (verb: "approve" | "deny", label: string, danger: boolean) => (
    <form
      method="post"
      action={`/ui/approvals/${a.id}/${verb}`}
      hx-post={`/ui/approvals/${a.id}/${verb}`}
      hx-target="#approvals-main"
      hx-swap="outerHTML"
    >
      <CsrfField token={m.csrfToken} />
      <button
        type="submit"
        class={danger ? "danger" : undefined}
        aria-describedby={`approval-${a.id}`}
      >
        {label}
      </button>
    </form>
  );
  return (
    <tr>
      <td id={`approval-${a.id}`}>{a.label}</td>
      <td>
        <KeyLink keyId={a.keyId} name={a.keyName} />
      </td>
      <td>
        {a.requestedBy}
        {a.own ? " (you)" : null}
      </td>
      <td>
        <span class="progress">
          <progress
            max={a.quorum}
            value={a.approvers.length}
            aria-label={`${a.approvers.length} of ${a.quorum} approvals`}
          >
          </progress>
          {a.approvers.length} of {a.quorum}
        </span>
      </td>
      <td class="nowrap">{timeLeft(a.expiresAt, m.now)}</td>
      <td>
        <div class="actions">
          {a.canApprove ? decide("approve", "Approve", false) : null}
          {a.own ? <span class="hint">Your request: another person must approve it.</span> : null}
          {a.canDeny ? decide("deny", "Deny", true) : null}
        </div>
      </td>
    </tr>
  );
}

function KeyLink(props: { keyId: string | null; name?: string | undefined }) {
  if (props.keyId === null) return <>–</>;
  return (
    <a href={`/ui/keys/${props.keyId}`} title={props.keyId}>
      {props.name ?? <code>{props.keyId.slice(0, 8)}</code>}
    </a>
  );
}
