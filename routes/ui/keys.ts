/**
 * `GET /ui/keys` (the inventory: page, or the `#key-table` fragment for htmx) and
 * `POST /ui/keys` (Create key). Filters are read leniently (an unreadable one is shown
 * as an error in the table, never a 500); pages use keyset cursors (`after`/`before` =
 * base64url of the neighbour key's creation time and id), so a deep page costs what the
 * first does. The create form is validated here with the contract's rules, each error
 * placed next to its field; the key service then applies the same rules again.
 */

import { type Context, Hono } from "hono";
import { algorithmInfo } from "../../src/core/algorithms.ts";
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from "../../src/core/encoding.ts";
import { keyName, keyTags } from "../../src/contract/keys.ts";
import {
  type Algorithm,
  ALGORITHM_NAMES,
  type Usage,
  USAGE_NAMES,
} from "../../src/domain/algorithms.ts";
import { isHsmError } from "../../src/domain/errors.ts";
import { KEY_STATES, type KeyRecord, type KeyState } from "../../src/domain/records.ts";
import type { UiEnv } from "../../src/http/ui_session_middleware.ts";
import type { KeyCursor, KeyListQuery } from "../../src/storage/ports.ts";
import {
  CreateKeyForm,
  type CreateKeyModel,
  type KeyFiltersModel,
  type KeyRowModel,
  KeysPage,
  KeyTable,
  type KeyTableModel,
  type KeyVocabulary,
} from "../../views/keys.tsx";
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

interface CheckedCreate {
  readonly errors: CreateKeyModel["errors"];
  readonly request?: {
    name: string;
    algorithm: Algorithm;
    usage?: Usage[];
    tags?: Record<string, string>;
    dualControl: boolean;
  };
}

/** Validates the create form field by field (messages written for people). */
export function checkCreate(values: CreateKeyModel["values"]): CheckedCreate {
  const errors: Partial<Record<keyof CreateKeyModel["errors"], string>> = {};
  if (values.name === "") errors.name = "Enter a name";
  else if (values.name.length > 128) errors.name = "Use at most 128 characters";
  else if (!keyName.safeParse(values.name).success) {
    errors.name = "Use letters, digits, spaces and . _ : / @ - only";
  }
  const info = values.algorithm === "" ? undefined : algorithmInfo(values.algorithm);
  if (values.algorithm === "") errors.algorithm = "Choose an algorithm";
  else if (info === undefined) errors.algorithm = "Choose one of the listed algorithms";
  const unknownUsage = values.usage.find((u) => !(USAGE_NAMES as readonly string[]).includes(u));
  if (unknownUsage !== undefined) errors.usage = `Unknown usage ${unknownUsage}`;
  else if (info !== undefined) {
    const bad = values.usage.filter((u) => !(info.usages as readonly string[]).includes(u));
    if (bad.length > 0) {
      errors.usage = `${info.name} keys cannot ${bad.join(", ")}; allowed: ${
        info.usages.join(", ")
      }`;
    }
  }
  const tags = parseTags(values.tags);
  if (typeof tags === "string") errors.tags = tags;
  if (Object.keys(errors).length > 0 || info === undefined || typeof tags === "string") {
    return { errors };
  }
  return {
    errors,
    request: {
      name: values.name,
      algorithm: info.name,
      ...(values.usage.length === 0 ? {} : { usage: values.usage as Usage[] }),
      ...(Object.keys(tags).length === 0 ? {} : { tags }),
      dualControl: values.dualControl,
    },
  };
}

/** `k=v` lines → tags, or the message of the first problem. */
export function parseTags(text: string): Record<string, string> | string {
  const tags: Record<string, string> = Object.create(null);
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "") continue;
    const eq = line.indexOf("=");
    if (eq < 1) return `Line ${i + 1}: write each tag as key=value`;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (Object.hasOwn(tags, key)) return `Line ${i + 1}: tag ${key} is given twice`;
    tags[key] = value;
  }
  const parsed = keyTags.safeParse({ ...tags });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (Object.keys(tags).length > 32) return "Use at most 32 tags";
    return issue?.path.length
      ? `Tag ${
        String(issue.path[0])
      }: keys are letters, digits and _ . - (at most 64), values at most 256 characters`
      : "Use at most 32 tags";
  }
  return { ...tags };
}
