/**
 * The Keys screen: the key inventory as a table, filtered with `/` (server-side by
 * state, algorithm and tag, client-side by name or id), the key detail on enter and the
 * Create key form on `n`. Up to `MAX_PAGES` pages of 100 keys are loaded.
 */

import { Box, Text, useInput } from "ink";
import { createElement as h, type ReactElement, useEffect, useRef, useState } from "react";
import type { KeyJson } from "../../contract/keys.ts";
import { type KeyFilter, matchesWords, parseKeyFilter } from "../key_filter.ts";
import { type ActionName, isAction, keyName, keysOf } from "../key_bindings.ts";
import { safeText } from "../sanitize.ts";
import { type ScreenProps, useTui } from "../ui/context.ts";
import { listMove } from "../ui/list_nav.ts";
import { stateColor, Table, Title } from "../ui/widgets.ts";
import { KeyCreate } from "./key_create.ts";
import { KeyDetail } from "./key_detail.ts";

/** Most pages of 100 keys the screen loads. */
export const MAX_PAGES = 10;

// deno-lint-ignore no-control-regex -- typed text never carries control characters
const CONTROL = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

type View = { kind: "list" } | { kind: "detail"; id: string } | { kind: "create" };

/** The Keys screen. */
export function KeysScreen(
  props: ScreenProps,
): ReactElement {
  const tui = useTui();
  const { client, theme, bindings, height, setEditing } = tui;
  const [view, setView] = useState<View>({ kind: "list" });
  const [keys, setKeys] = useState<KeyJson[]>([]);
  const [total, setTotal] = useState(0);
  const [loading, setLoading] = useState(true);
  const [selected, setSelected] = useState(0);
  const [filterText, setFilterTextState] = useState("");
  const typed = useRef("");
  const setFilterText = (text: string) => {
    typed.current = text;
    setFilterTextState(text);
  };
  const [filter, setFilter] = useState<KeyFilter>(parseKeyFilter(""));
  const [editingFilter, setEditingFilter] = useState(false);

  const load = async () => {
    setLoading(true);
    try {
      const items: KeyJson[] = [];
      let count = 0;
      for (let page = 1; page <= MAX_PAGES; page++) {
        const res = await client.listKeys({ ...filter.query, page, perPage: 100 });
        items.push(...res.items);
        count = res.total;
        if (items.length >= res.total || res.items.length === 0) break;
      }
      setKeys(items);
      setTotal(count);
    } catch (err) {
      tui.report(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    if (props.visible) void load();
  }, [props.refreshTick, filter, props.visible]);
  useEffect(() => {
    if (editingFilter) setEditing(true);
    return () => {
      if (editingFilter) setEditing(false);
    };
  }, [editingFilter]);

  const shown = keys.filter((k) => matchesWords(k, filter));
  const listActive = props.active && view.kind === "list";
  useInput((input, key) => {
    const name = keyName(input, key);
    if (editingFilter) {
      if (name === "enter" || name === "escape") {
        setEditingFilter(false);
        const parsed = parseKeyFilter(typed.current);
        setFilter(parsed);
        setSelected(0);
        if (parsed.invalid.length > 0) {
          tui.notify(`Ignored filter ${parsed.invalid.join(" ")}`, "error");
        }
      } else if (name === "backspace" || name === "delete") {
        setFilterText(typed.current.slice(0, -1));
      } else if (name === "ctrl+u") setFilterText("");
      else if (!key.ctrl && !key.meta && input !== "") {
        setFilterText(typed.current + input.replace(CONTROL, ""));
      }
      return;
    }
    const is = (a: ActionName) => isAction(bindings, a, name);
    const moved = listMove(bindings, name, selected, shown.length, height - 4);
    if (moved !== undefined) {
      return setSelected((s) => listMove(bindings, name, s, shown.length, height - 4) ?? s);
    }
    if (is("filter")) return setEditingFilter(true);
    if (is("create")) return setView({ kind: "create" });
    if (is("back") && filterText !== "") {
      setFilterText("");
      setFilter(parseKeyFilter(""));
      return;
    }
    const row = shown[selected];
    if (is("open") && row !== undefined) setView({ kind: "detail", id: row.id });
  }, { isActive: listActive });

  if (view.kind === "detail") {
    return h(KeyDetail, {
      keyId: view.id,
      active: props.active,
      refreshTick: props.refreshTick,
      onBack: () => {
        setView({ kind: "list" });
        void load();
      },
    });
  }
  if (view.kind === "create") {
    return h(KeyCreate, {
      active: props.active,
      onCancel: () => setView({ kind: "list" }),
      onCreated: (key, approval) => {
        tui.notify(
          approval === undefined
            ? `Created ${key.name} (${key.id}), ${key.state}`
            : `Created ${key.name} (${key.id}), staged: approval ${approval.id} needed`,
          "ok",
        );
        setView({ kind: "detail", id: key.id });
      },
    });
  }
  const counts = loading
    ? "loading…"
    : `${shown.length} shown of ${total} key(s)${
      keys.length < total ? ` (first ${keys.length})` : ""
    }`;
  return h(
    Box,
    { flexDirection: "column" },
    h(Title, {
      text: "Keys",
      extra: `${counts} · ${keysOf(bindings, "filter")} filter · ${
        keysOf(bindings, "create")
      } new · enter open`,
    }),
    editingFilter || filterText !== ""
      ? h(
        Text,
        { wrap: "truncate-end" },
        h(Text, { color: theme.accent }, "filter: "),
        safeText(filterText),
        editingFilter ? h(Text, { inverse: true }, " ") : "",
        editingFilter ? h(Text, { color: theme.muted }, "  state:S alg:A tag:k:v words") : "",
      )
      : null,
    h(Table<KeyJson>, {
      columns: [
        { title: "NAME", value: (k) => k.name },
        { title: "ALGORITHM", width: 18, value: (k) => k.algorithm },
        {
          title: "STATE",
          width: 9,
          value: (k) => k.state,
          color: (k) => stateColor(theme, k.state),
        },
        { title: "VER", width: 4, value: (k) => k.current_version },
        { title: "ID", width: 13, value: (k) => `${k.id.slice(0, 12)}…` },
      ],
      rows: shown,
      selected,
      height: height - (editingFilter || filterText !== "" ? 2 : 1),
      empty: loading ? "loading…" : "no keys — press n to create one",
    }),
  );
}
