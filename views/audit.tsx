/**
 * The Audit page: the hash-linked timeline newest first (seq, time, actor, action, key,
 * result, the entry's short hash and the previous entry's hash, so each link of the
 * chain is visible), filters by actor, action and key, "Load more" pages, and Verify
 * chain with its verdict in a live region.
 */

import type { View } from "./view.ts";
import { Hash, StateBadge, Time } from "./components.tsx";
import { Layout, type Viewer } from "./layout.tsx";

/** One audit entry as a row. */
export interface AuditRowModel {
  readonly seq: number;
  readonly ts: string;
  readonly actor: string;
  readonly action: string;
  readonly keyId: string | null;
  readonly result: string;
  /** This entry's hash (the next entry's prev_hash). */
  readonly hash: string;
  readonly prevHash: string;
  /** True when the row below is the previous entry and its hash is this prev hash. */
  readonly linkedBelow: boolean;
}

/** The filters as typed. */
export interface AuditFiltersModel {
  readonly actor: string;
  readonly action: string;
  readonly key: string;
}

/** One page of rows and where the next starts. */
export interface AuditRowsModel {
  readonly rows: readonly AuditRowModel[];
  /** Query string of the next page (filters included), when there is one. */
  readonly more?: string | undefined;
}

/** The outcome of Verify chain. */
export interface VerifyModel {
  readonly intact: boolean;
  /** `Chain intact (N entries)` or `Chain broken at entry N: reason`. */
  readonly text: string;
}

/** The Audit page. */
export interface AuditModel {
  readonly filters: AuditFiltersModel;
  readonly page: AuditRowsModel;
  readonly headSeq: number;
  readonly verify?: VerifyModel | undefined;
  /** A filter that could not be read. */
  readonly error?: string | undefined;
}

/** The Audit page. */
export function AuditPage(props: { model: AuditModel; viewer: Viewer }): View {
  const m = props.model;
  return (
    <Layout title="Audit" section="audit" viewer={props.viewer}>
      <div class="page-head">
        <div>
          <h1>Audit</h1>
          <p>
            The tamper-evident log, newest first: each entry holds the hash of the one before it.
          </p>
        </div>
        <div>
          <form
            method="get"
            action="/ui/audit/verify"
            hx-get="/ui/audit/verify"
            hx-target="#verify-result"
            hx-swap="innerHTML"
          >
            <button type="submit">Verify chain</button>
          </form>
        </div>
      </div>
      <div id="verify-result" role="status" aria-live="polite">
        {m.verify === undefined ? null : <VerifyResult model={m.verify} />}
      </div>
      <AuditFilters filters={m.filters} />
      <AuditTable model={m} />
    </Layout>
  );
}

/** The verdict of a verification (the fragment Verify chain answers). */
export function VerifyResult(props: { model: VerifyModel }): View {
  return (
    <div class={`notice ${props.model.intact ? "success" : "error"}`}>
      <p>{props.model.text}</p>
    </div>
  );
}

function AuditFilters(props: { filters: AuditFiltersModel }) {
  const f = props.filters;
  return (
    <form
      class="filters"
      method="get"
      action="/ui/audit"
      role="search"
      aria-label="Filter audit entries"
      hx-get="/ui/audit"
      hx-target="#audit-table"
      hx-swap="outerHTML"
      hx-trigger="submit, change, input delay:400ms"
      hx-push-url="true"
    >
      <div class="field">
        <label for="audit-actor">Actor</label>
        <input type="text" id="audit-actor" name="actor" value={f.actor} maxlength={256} />
      </div>
      <div class="field">
        <label for="audit-action">Action</label>
        <input
          type="text"
          id="audit-action"
          name="action"
          value={f.action}
          maxlength={128}
          placeholder="key.rotate or key"
        />
      </div>
      <div class="field">
        <label for="audit-key">Key ID</label>
        <input type="text" id="audit-key" name="key" value={f.key} maxlength={64} />
      </div>
      <button type="submit" class="secondary">Apply filters</button>
    </form>
  );
}

/** The timeline table (the fragment the filters swap). */
export function AuditTable(props: { model: AuditModel }): View {
  const m = props.model;
  return (
    <div id="audit-table" class="table-wrap">
      <table>
        <caption>
          {m.error ?? `Audit entries, newest first (head #${m.headSeq})`}
        </caption>
        <thead>
          <tr>
            <th scope="col" class="num">Seq</th>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Key</th>
            <th scope="col">Result</th>
            <th scope="col">Hash</th>
            <th scope="col">Previous hash</th>
          </tr>
        </thead>
        {m.page.rows.length === 0
          ? (
            <tbody>
              <tr>
                <td colspan={8} class="empty">No entry matches these filters.</td>
              </tr>
            </tbody>
          )
          : <AuditRows model={m.page} />}
      </table>
    </div>
  );
}

/** Rows plus the "Load more" row (answered alone to Load more). */
export function AuditRows(props: { model: AuditRowsModel }): View {
  const { rows, more } = props.model;
  return (
    <>
      <tbody>
        {rows.map((r) => (
          <tr>
            <td class="num">{r.seq}</td>
            <td class="nowrap">
              <Time iso={r.ts} />
            </td>
            <td>{r.actor}</td>
            <td>
              <code>{r.action}</code>
            </td>
            <td>
              {r.keyId === null ? "–" : (
                <a href={`/ui/keys/${r.keyId}`} title={r.keyId}>
                  <code>{r.keyId.slice(0, 8)}</code>
                </a>
              )}
            </td>
            <td>
              <StateBadge state={r.result === "ok" ? "ok" : "failed"} />
              {r.result === "ok" ? null : <code>{r.result}</code>}
            </td>
            <td>
              <Hash value={r.hash} label={`Hash of entry ${r.seq}`} />
            </td>
            <td>
              <Hash value={r.prevHash} label={`Previous hash of entry ${r.seq}`} />
              {r.linkedBelow
                ? (
                  <>
                    {" "}
                    <span class="chain-link" aria-hidden="true">↓</span>
                    <span class="visually-hidden">links to entry {r.seq - 1}</span>
                  </>
                )
                : null}
            </td>
          </tr>
        ))}
      </tbody>
      <tbody id="audit-more">
        {more === undefined ? null : (
          <tr>
            <td colspan={8}>
              <a
                class="button secondary"
                href={`/ui/audit?${more}`}
                hx-get={`/ui/audit/rows?${more}`}
                hx-target="#audit-more"
                hx-swap="outerHTML"
              >
                Load more
              </a>
            </td>
          </tr>
        )}
      </tbody>
    </>
  );
}
