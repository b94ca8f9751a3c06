/**
 * `GET /ui/keys` (the inventory: page, or the `#key-table` fragment for htmx) and
 * `POST /ui/keys` (Create key). Filters are read leniently (an unreadable one is shown
 * as an error in the table, never a 500); pages use keyset cursors (`after`/`before` =
 * base64url of the neighbour key's creation time and id), so a deep page costs what the
 * first does. The create form is validated here with the contract's rules, each error
 * placed next to its field; the key service then applies the same rules again.
 */

import { type Context, Hono } from "hono";
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from "../../src/core/encoding.ts";
import { type Algorithm, ALGORITHM_NAMES, USAGE_NAMES } from "../../src/domain/algorithms.ts";
import { isHsmError } from "../../src/domain/errors.ts";
import { KEY_STATES, type KeyRecord, type KeyState } from "../../src/domain/records.ts";
import type { UiEnv } from "../../src/http/ui_session_middleware.ts";
import type { KeyCursor, KeyListQuery } from "../../src/storage/ports.ts";
import { CreateKeyForm, type CreateKeyModel } from "../../views/key_form.tsx";
import {
  type KeyFiltersModel,
  type KeyRowModel,
  KeysPage,
  KeyTable,
  type KeyTableModel,
  type KeyVocabulary,
} from "../../views/keys.tsx";
import { checkCreate } from "./key_form.ts";
import {
  formList,
  formString,
  html,
  isHtmx,
  may,
  queryString,
  targets,
  type UiDeps,
  viewerOf,
} from "./_shared.ts";

/** Keys per page. */
export const KEYS_PAGE_SIZE = 50;

const VOCABULARY: KeyVocabulary = {
  algorithms: ALGORITHM_NAMES,
  states: KEY_STATES,
  usages: USAGE_NAMES,
};

/** Routes of the Keys page. */
export function keysRoutes(deps: UiDeps): Hono<UiEnv> {
  const app = new Hono<UiEnv>();

  app.get("/ui/keys", async (c) => {
    const { filters, query, error } = readFilters(c);
    const table = error === undefined
      ? await keyTable(c, deps, filters, query)
      : { rows: [], total: 0, paged: false, first: "", error };
    if (targets(c, "key-table")) return html(c, KeyTable({ model: table }));
    const create = may(c, deps, "key:create") ? emptyForm(c) : undefined;
    return html(
      c,
      KeysPage({
        model: { filters, table, create, vocabulary: VOCABULARY },
        viewer: viewerOf(c, deps),
      }),
    );
  });

  app.post("/ui/keys", async (c) => {
    const body = await c.req.parseBody({ all: true });
    const values: CreateKeyModel["values"] = {
      name: formString(body, "name").trim(),
      algorithm: formString(body, "algorithm"),
      usage: formList(body, "usage"),
      tags: formString(body, "tags"),
      dualControl: formString(body, "dual_control") === "on",
    };
    const checked = checkCreate(values);
    let errors = checked.errors;
    if (checked.request !== undefined) {
      try {
        const { key } = await deps.keys.create(c.get("actor"), checked.request);
        const target = `/ui/keys/${key.id}?notice=created`;
        if (isHtmx(c)) {
          c.header("HX-Redirect", target);
          return c.body(null, 204);
        }
        return c.redirect(target, 303);
      } catch (err) {
        if (!isHsmError(err, "invalid_request")) throw err;
        errors = { form: err.message };
      }
    }
    const form = { values, errors, csrfToken: c.get("session").csrfToken };
    if (isHtmx(c)) return html(c, CreateKeyForm({ model: form, vocabulary: VOCABULARY }), 422);
    const { filters, query } = readFilters(c);
    const table = await keyTable(c, deps, filters, query);
    return html(
      c,
      KeysPage({
        model: { filters, table, create: form, vocabulary: VOCABULARY },
        viewer: viewerOf(c, deps),
      }),
      422,
    );
  });

  return app;
}

function emptyForm(c: Context<UiEnv>): CreateKeyModel {
  return {
    values: { name: "", algorithm: "", usage: [], tags: "", dualControl: false },
    errors: {},
    csrfToken: c.get("session").csrfToken,
  };
}

/** Encodes a list position for a URL. */
export function encodeCursor(record: KeyCursor): string {
  return toBase64Url(utf8(JSON.stringify([record.createdAt, record.id])));
}

/** Decodes a URL cursor; undefined when it is not one. */
export function decodeCursor(text: string): KeyCursor | undefined {
  if (text.length > 200) return undefined;
  const bytes = fromBase64Url(text);
  if (bytes === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(fromUtf8(bytes));
    if (
      Array.isArray(value) && value.length === 2 && typeof value[0] === "string" &&
      /^[0-9T:.Z+-]{1,40}$/.test(value[0]) && typeof value[1] === "string" &&
      /^[A-Za-z0-9_-]{1,64}$/.test(value[1])
    ) {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // not JSON
  }
  return undefined;
}

interface ReadFilters {
  readonly filters: KeyFiltersModel;
  readonly query: Omit<KeyListQuery, "offset" | "limit">;
  readonly error?: string;
}

function readFilters(c: Context<UiEnv>): ReadFilters {
  const filters: KeyFiltersModel = {
    name: (c.req.query("name") ?? "").trim(),
    algorithm: c.req.query("algorithm") ?? "",
    state: c.req.query("state") ?? "",
    tag: (c.req.query("tag") ?? "").trim(),
  };
  const query: { -readonly [K in keyof ReadFilters["query"]]: ReadFilters["query"][K] } = {};
  const fail = (error: string): ReadFilters => ({ filters, query, error });
  if (filters.name.length > 128) return fail("The name search is longer than 128 characters");
  if (filters.name !== "") query.nameContains = filters.name;
  if (filters.algorithm !== "") {
    if (!(ALGORITHM_NAMES as readonly string[]).includes(filters.algorithm)) {
      return fail("Unknown key type");
    }
    query.algorithm = filters.algorithm as Algorithm;
  }
  if (filters.state !== "") {
    if (!(KEY_STATES as readonly string[]).includes(filters.state)) return fail("Unknown state");
    query.state = filters.state as KeyState;
  }
  if (filters.tag !== "") {
    const sep = filters.tag.indexOf(":");
    if (sep < 1) return fail("Write the tag filter as key:value, e.g. env:prod");
    query.tag = { key: filters.tag.slice(0, sep), value: filters.tag.slice(sep + 1) };
  }
  const after = c.req.query("after");
  const before = c.req.query("before");
  if (after !== undefined) {
    const cursor = decodeCursor(after);
    if (cursor === undefined) return fail("That page link is no longer valid");
    query.after = cursor;
  } else if (before !== undefined) {
    const cursor = decodeCursor(before);
    if (cursor === undefined) return fail("That page link is no longer valid");
    query.before = cursor;
  }
  return { filters, query };
}

async function keyTable(
  c: Context<UiEnv>,
  deps: UiDeps,
  filters: KeyFiltersModel,
  query: ReadFilters["query"],
): Promise<KeyTableModel> {
  const page = await deps.keys.list(c.get("actor"), {
    ...query,
    offset: 0,
    limit: KEYS_PAGE_SIZE + 1,
  });
  let items = page.items;
  let hasNext = false;
  let hasPrevious = false;
  if (query.before !== undefined) {
    hasNext = true;
    hasPrevious = items.length > KEYS_PAGE_SIZE;
    if (hasPrevious) items = items.slice(1);
  } else {
    hasPrevious = query.after !== undefined;
    hasNext = items.length > KEYS_PAGE_SIZE;
    if (hasNext) items = items.slice(0, KEYS_PAGE_SIZE);
  }
  const base = {
    name: filters.name,
    algorithm: filters.algorithm,
    state: filters.state,
    tag: filters.tag,
  };
  const first = items[0];
  const last = items.at(-1);
  return {
    rows: items.map(keyRow),
    total: page.total,
    paged: query.after !== undefined || query.before !== undefined,
    first: queryString(base),
    next: hasNext && last !== undefined
      ? queryString({ ...base, after: encodeCursor(last) })
      : undefined,
    previous: hasPrevious && first !== undefined
      ? queryString({ ...base, before: encodeCursor(first) })
      : undefined,
  };
}

function keyRow(r: KeyRecord): KeyRowModel {
  return {
    id: r.id,
    name: r.name,
    algorithm: r.algorithm,
    state: r.state,
    currentVersion: r.currentVersion,
    tags: Object.entries(r.tags),
    createdAt: r.createdAt,
  };
}
