/**
 * The Keys page: the inventory table with filters (name search, algorithm, state, tag)
 * and keyset pagination, and the Create key form with errors next to their fields.
 * Accessible names are part of the contract (api.md § Dashboard): only the form's fields
 * are called `Name` and `Algorithm`, so the filters use other labels. The
 * filter form asks htmx for the table fragment only (`#key-table`); without JavaScript
 * it is a plain GET form and the pager is plain links.
 */

import type { View } from "./view.ts";
import { CsrfField, FieldError, StateBadge, TagList, Time } from "./components.tsx";
import { formatCount } from "./format.ts";
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

/** Field names of the create form. */
export type CreateField = "name" | "algorithm" | "usage" | "tags" | "dual_control";

/** The create form with the values typed and their errors. */
export interface CreateKeyModel {
  readonly values: {
    readonly name: string;
    readonly algorithm: string;
    readonly usage: readonly string[];
    readonly tags: string;
    readonly dualControl: boolean;
  };
  readonly errors: Readonly<Partial<Record<CreateField | "form", string>>>;
  readonly csrfToken: string;
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

/** The Create key form (also the fragment answered after a submission). */
export function CreateKeyForm(
  props: { model: CreateKeyModel; vocabulary: KeyVocabulary },
): View {
  const { values, errors, csrfToken } = props.model;
  const invalid = (field: CreateField) => errors[field] === undefined ? undefined : "true";
  const described = (field: CreateField, hint?: string) => {
    const ids = [hint, errors[field] === undefined ? undefined : `create-${field}-error`]
      .filter((x) => x !== undefined);
    return ids.length === 0 ? undefined : ids.join(" ");
  };
  return (
    <form
      id="create-key"
      class="panel"
      method="post"
      action="/ui/keys"
      hx-post="/ui/keys"
      hx-target="this"
      hx-swap="outerHTML"
      aria-labelledby="create-title"
      novalidate
    >
      <h2 id="create-title">Create key</h2>
      <CsrfField token={csrfToken} />
      {errors.form === undefined
        ? null
        : (
          <div class="notice error" role="alert" data-autofocus tabindex={-1}>
            <p>{errors.form}</p>
          </div>
        )}
      <div class="field">
        <label for="create-name">Name</label>
        <input
          type="text"
          id="create-name"
          name="name"
          value={values.name}
          required
          maxlength={128}
          autocomplete="off"
          aria-invalid={invalid("name")}
          aria-describedby={described("name")}
        />
        <FieldError id="create-name-error" message={errors.name} />
      </div>
      <div class="field">
        <label for="create-algorithm">Algorithm</label>
        <select
          id="create-algorithm"
          name="algorithm"
          required
          aria-invalid={invalid("algorithm")}
          aria-describedby={described("algorithm")}
        >
          <option value="" selected={values.algorithm === ""}>Choose an algorithm</option>
          {props.vocabulary.algorithms.map((a) => (
            <option value={a} selected={a === values.algorithm}>{a}</option>
          ))}
        </select>
        <FieldError id="create-algorithm-error" message={errors.algorithm} />
      </div>
      <fieldset aria-describedby={described("usage", "create-usage-hint")}>
        <legend>Usage</legend>
        <p id="create-usage-hint" class="hint">Leave all unticked for the algorithm's defaults.</p>
        <div class="checks">
          {props.vocabulary.usages.map((u) => (
            <label class="check">
              <input type="checkbox" name="usage" value={u} checked={values.usage.includes(u)} />
              {u}
            </label>
          ))}
        </div>
        <FieldError id="create-usage-error" message={errors.usage} />
      </fieldset>
      <div class="field">
        <label for="create-tags">Tags</label>
        <textarea
          id="create-tags"
          name="tags"
          rows={3}
          aria-invalid={invalid("tags")}
          aria-describedby={described("tags", "create-tags-hint")}
        >
          {values.tags}
        </textarea>
        <p id="create-tags-hint" class="hint">One key=value per line, e.g. env=prod.</p>
        <FieldError id="create-tags-error" message={errors.tags} />
      </div>
      <div class="field">
        <label class="check">
          <input
            type="checkbox"
            name="dual_control"
            value="on"
            checked={values.dualControl}
            aria-describedby="create-dual-hint"
          />
          Dual control
        </label>
        <p id="create-dual-hint" class="hint">
          The key stays staged until another administrator approves it.
        </p>
      </div>
      <button type="submit">Create key</button>
    </form>
  );
}
