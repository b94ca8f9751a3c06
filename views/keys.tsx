/**
 * The Keys page: the inventory table with filters (name search, algorithm, state, tag)
 * and keyset pagination, and the Create key form with errors next to their fields.
 * Accessible names are part of the contract (api.md § Dashboard): only the form's fields
 * are called `Name` and `Algorithm`, so the filters use other labels. The
 * filter form asks htmx for the table fragment only (`#key-table`); without JavaScript
 * it is a plain GET form and the pager is plain links.
 */

import type { View } from "./view.ts";
import { StateBadge, TagList, Time } from "./components.tsx";
import { formatCount } from "./format.ts";
import { CreateKeyForm, type CreateKeyModel } from "./key_form.tsx";
import { Layout, type Viewer } from "./layout.tsx";

/** One row of the inventory. */
export interface KeyRowModel {
  readonly id: string;
  readonly name: string;
  readonly algorithm: string;
  readonly state: string;
  readonly currentVersion: number;
  readonly tags: readonly (readonly [string, string])[];
  readonly createdAt: string;
}

/** The filters as typed (echoed back into the form). */
export interface KeyFiltersModel {
  readonly name: string;
  readonly algorithm: string;
  readonly state: string;
  readonly tag: string;
}

/** The table fragment. */
export interface KeyTableModel {
  readonly rows: readonly KeyRowModel[];
  /** Keys matching the filters. */
  readonly total: number;
  /** Query string of the next / previous page (with the filters), when there is one. */
  readonly next?: string | undefined;
  readonly previous?: string | undefined;
  /** True when this is not the first page. */
  readonly paged: boolean;
  /** Query string of the first page with the filters. */
  readonly first: string;
  /** A filter that could not be read. */
  readonly error?: string | undefined;
}

/** Vocabularies of the selects. */
export interface KeyVocabulary {
  readonly algorithms: readonly string[];
  readonly states: readonly string[];
  readonly usages: readonly string[];
}

/** The Keys page. */
export interface KeysPageModel {
  readonly filters: KeyFiltersModel;
  readonly table: KeyTableModel;
  /** Absent when the viewer may not create keys. */
  readonly create?: CreateKeyModel | undefined;
  readonly vocabulary: KeyVocabulary;
}

/** The Keys page. */
export function KeysPage(props: { model: KeysPageModel; viewer: Viewer }): View {
  const { model } = props;
  return (
    <Layout title="Keys" section="keys" viewer={props.viewer}>
      <div class="page-head">
        <div>
          <h1>Keys</h1>
          <p>
            Key inventory. Key material never leaves the server; this page shows metadata only.
          </p>
        </div>
      </div>
      <div class={model.create === undefined ? undefined : "two-col"}>
        <section aria-labelledby="inventory-title">
          <h2 id="inventory-title" class="visually-hidden">Inventory</h2>
          <KeyFilters filters={model.filters} vocabulary={model.vocabulary} />
          <KeyTable model={model.table} />
        </section>
        {model.create === undefined
          ? null
          : <CreateKeyForm model={model.create} vocabulary={model.vocabulary} />}
      </div>
    </Layout>
  );
}

function KeyFilters(props: { filters: KeyFiltersModel; vocabulary: KeyVocabulary }) {
  const { filters, vocabulary } = props;
  return (
    <form
      class="filters"
      method="get"
      action="/ui/keys"
      role="search"
      aria-label="Filter keys"
      hx-get="/ui/keys"
      hx-target="#key-table"
      hx-swap="outerHTML"
      hx-trigger="submit, change, input delay:400ms"
      hx-push-url="true"
    >
      <div class="field">
        <label for="filter-name">Search</label>
        <input
          type="search"
          id="filter-name"
          name="name"
          value={filters.name}
          maxlength={128}
          placeholder="part of a key name"
        />
      </div>
      <div class="field">
        <label for="filter-algorithm">Key type</label>
        <select id="filter-algorithm" name="algorithm">
          <option value="">Any type</option>
          {vocabulary.algorithms.map((a) => (
            <option value={a} selected={a === filters.algorithm}>{a}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="filter-state">State</label>
        <select id="filter-state" name="state">
          <option value="">Any state</option>
          {vocabulary.states.map((s) => (
            <option value={s} selected={s === filters.state}>{s}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="filter-tag">Tag</label>
        <input
          type="text"
          id="filter-tag"
          name="tag"
          value={filters.tag}
          placeholder="env:prod"
          maxlength={321}
        />
      </div>
      <button type="submit" class="secondary">Apply filters</button>
    </form>
  );
}

/** The inventory table and pager (the fragment the filters swap). */
export function KeyTable(props: { model: KeyTableModel }): View {
  const m = props.model;
  const pageLink = (query: string, label: string, rel: string) => (
    <a
      class="button secondary"
      rel={rel}
      href={`/ui/keys?${query}`}
      hx-get={`/ui/keys?${query}`}
      hx-target="#key-table"
      hx-swap="outerHTML"
      hx-push-url="true"
    >
      {label}
    </a>
  );
  return (
    <div id="key-table" class="table-wrap">
      <table>
        <caption>
          {m.error ?? `${formatCount(m.total)} ${m.total === 1 ? "key" : "keys"} match`}
        </caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Algorithm</th>
            <th scope="col">State</th>
            <th scope="col" class="num">Version</th>
            <th scope="col" class="hide-narrow">Tags</th>
            <th scope="col" class="hide-narrow">Created</th>
          </tr>
        </thead>
        <tbody>
          {m.rows.length === 0
            ? (
              <tr>
                <td colspan={6} class="empty">No keys match these filters.</td>
              </tr>
            )
            : m.rows.map((r) => (
              <tr>
                <td class="name">
                  <a href={`/ui/keys/${r.id}`}>{r.name}</a>
                </td>
                <td class="nowrap">{r.algorithm}</td>
                <td>
                  <StateBadge state={r.state} />
                </td>
                <td class="num">v{r.currentVersion}</td>
                <td class="hide-narrow">
                  <TagList tags={r.tags} />
                </td>
                <td class="nowrap hide-narrow">
                  <Time iso={r.createdAt} />
                </td>
              </tr>
            ))}
        </tbody>
      </table>
      {m.paged || m.next !== undefined
        ? (
          <nav class="pager" aria-label="Pages">
            <span>{m.paged ? pageLink(m.first, "First page", "first") : null}</span>
            <span class="actions">
              {m.previous === undefined ? null : pageLink(m.previous, "Previous page", "prev")}
              {m.next === undefined ? null : pageLink(m.next, "Next page", "next")}
            </span>
          </nav>
        )
        : null}
    </div>
  );
}
