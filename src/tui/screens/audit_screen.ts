/**
 * The Audit screen: the newest entries of the hash-linked log (seq, time, actor,
 * action, key, result and the short previous hash, so the chain is visible), a live
 * tail (`f`) polling for new entries, filters (`/`), an entry's JSON on enter, and
 * `v` to verify the whole chain on the server, whose result stays on screen. At most
 * `KEEP` entries are held.
 */

import { Box, Text, useInput } from "ink";
import { createElement as h, type ReactElement, useEffect, useRef, useState } from "react";
import type { AuditEntryJson, AuditVerificationJson } from "../../contract/audit.ts";
import { type AuditFilter, matchesAudit, parseAuditFilter } from "../audit_filter.ts";
import { type ActionName, isAction, keyName, keysOf } from "../key_bindings.ts";
import { safeText } from "../sanitize.ts";
import { type ScreenProps, useTui } from "../ui/context.ts";
import { listMove } from "../ui/list_nav.ts";
import { JsonView, Table, Title } from "../ui/widgets.ts";

/** Most entries the screen keeps. */
export const KEEP = 1000;
/** Entries loaded when the screen opens. */
const FIRST_LOAD = 200;

// deno-lint-ignore no-control-regex -- typed text never carries control characters
const CONTROL = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** The sentence for a verification result. */
export function verificationText(v: AuditVerificationJson): string {
  return v.valid
    ? `Chain intact (${v.entries} entries), head ${v.head.slice(0, 16)}…`
    : `Chain broken at entry ${v.first_bad_seq}: ${v.reason}`;
}

/** The Audit screen. */
export function AuditScreen(
  props: ScreenProps,
): ReactElement {
  const tui = useTui();
  const { client, theme, bindings, height, setEditing } = tui;
  const [entries, setEntries] = useState<AuditEntryJson[]>([]);
  const [selected, setSelected] = useState(0);
  const [follow, setFollow] = useState(false);
  const [filterText, setFilterTextState] = useState("");
  const typed = useRef("");
  const setFilterText = (text: string) => {
    typed.current = text;
    setFilterTextState(text);
  };
  const [filter, setFilter] = useState<AuditFilter>(parseAuditFilter(""));
  const [editingFilter, setEditingFilter] = useState(false);
  const [open, setOpen] = useState<AuditEntryJson | undefined>();
  const [verification, setVerification] = useState<string | undefined>();
  const last = useRef(0);
  const polling = useRef(false);

  const append = (items: AuditEntryJson[], reset: boolean) => {
    if (items.length > 0) last.current = items.at(-1)?.seq ?? last.current;
    setEntries((old) => {
      const next = [...(reset ? [] : old), ...items].slice(-KEEP);
      return next;
    });
  };
  const loadNewest = async () => {
    try {
      const health = await client.health();
      const head = typeof health.audit_head_seq === "number" ? health.audit_head_seq : 0;
      const items = await client.audit(Math.max(0, head - FIRST_LOAD), FIRST_LOAD);
      last.current = 0;
      append(items, true);
      setSelected(Math.max(0, items.length - 1));
    } catch (err) {
      tui.report(err);
    }
  };
  const poll = async () => {
    if (polling.current) return;
    polling.current = true;
    try {
      for (let round = 0; round < 10; round++) {
        const items = await client.audit(last.current, 1000);
        append(items, false);
        if (items.length < 1000) break;
      }
    } catch (err) {
      setFollow(false);
      tui.report(err);
    } finally {
      polling.current = false;
    }
  };
  const loaded = useRef(-1);
  useEffect(() => {
    if (!props.visible) return;
    if (loaded.current === props.refreshTick) void poll();
    else void loadNewest();
    loaded.current = props.refreshTick;
  }, [props.refreshTick, props.visible]);
  useEffect(() => {
    if (!follow) return;
    const timer = setInterval(() => void poll(), tui.refreshSeconds * 1000);
    return () => clearInterval(timer);
  }, [follow]);
  useEffect(() => {
    setEditing(props.active && editingFilter);
  }, [editingFilter, props.active]);

  const shown = entries.filter((e) => matchesAudit(e, filter));
  useEffect(() => {
    if (follow) setSelected(Math.max(0, shown.length - 1));
  }, [entries.length, follow]);

  const verify = async () => {
    setVerification("verifying…");
    try {
      const result = await client.verifyAudit();
      tui.verified(result, tui.clock());
      setVerification(verificationText(result));
    } catch (err) {
      setVerification(undefined);
      tui.report(err);
    }
  };

  useInput((input, key) => {
    const name = keyName(input, key);
    if (editingFilter) {
      if (name === "enter" || name === "escape") {
        setEditingFilter(false);
        setFilter(parseAuditFilter(typed.current));
      } else if (name === "backspace" || name === "delete") {
        setFilterText(typed.current.slice(0, -1));
      } else if (name === "ctrl+u") setFilterText("");
      else if (!key.ctrl && !key.meta && input !== "") {
        setFilterText(typed.current + input.replace(CONTROL, ""));
      }
      return;
    }
    const is = (a: ActionName) => isAction(bindings, a, name);
    if (open !== undefined) {
      if (is("back") || is("open")) setOpen(undefined);
      return;
    }
    const moved = listMove(bindings, name, selected, shown.length, height - 3);
    if (moved !== undefined) {
      return setSelected((s) => listMove(bindings, name, s, shown.length, height - 3) ?? s);
    }
    if (is("filter")) setEditingFilter(true);
    else if (is("follow")) {
      setFollow(!follow);
      tui.notify(follow ? "Live tail off" : "Live tail on", "info");
    } else if (is("verifyChain")) void verify();
    else if (is("back") && filterText !== "") {
      setFilterText("");
      setFilter(parseAuditFilter(""));
    } else if (is("open") && shown[selected] !== undefined) setOpen(shown[selected]);
  }, { isActive: props.active });

  if (open !== undefined) {
    return h(
      Box,
      { flexDirection: "column" },
      h(Title, { text: `Audit entry ${open.seq}`, extra: "esc back" }),
      h(JsonView, { value: open, height: height - 1 }),
    );
  }
  const showFilter = editingFilter || filterText !== "";
  const extraLines = (showFilter ? 1 : 0) + (verification === undefined ? 0 : 1);
  return h(
    Box,
    { flexDirection: "column" },
    h(Title, {
      text: follow ? "Audit — live" : "Audit",
      extra: `${shown.length} of ${entries.length} · ${keysOf(bindings, "follow")} live · ${
        keysOf(bindings, "filter")
      } filter · ${keysOf(bindings, "verifyChain")} verify chain`,
    }),
    verification === undefined ? null : h(
      Text,
      {
        color: verification.startsWith("Chain intact") ? theme.ok : theme.error,
        bold: true,
        wrap: "truncate-end",
      },
      safeText(verification),
    ),
    showFilter
      ? h(
        Text,
        { wrap: "truncate-end" },
        h(Text, { color: theme.accent }, "filter: "),
        safeText(filterText),
        editingFilter ? h(Text, { inverse: true }, " ") : "",
        editingFilter ? h(Text, { color: theme.muted }, "  actor: action: key: result: words") : "",
      )
      : null,
    h(Table<AuditEntryJson>, {
      columns: [
        { title: "SEQ", width: 6, value: (e) => e.seq },
        { title: "TIME", width: 8, value: (e) => e.ts.slice(11, 19) },
        { title: "ACTOR", width: 12, value: (e) => e.actor },
        { title: "ACTION", value: (e) => e.action },
        {
          title: "KEY",
          width: 9,
          value: (e) => e.key_id === null ? "—" : `${e.key_id.slice(0, 8)}…`,
        },
        {
          title: "RESULT",
          width: 9,
          value: (e) => e.result,
          color: (e) => e.result === "ok" ? theme.ok : theme.error,
        },
        { title: "PREV", width: 8, value: (e) => e.prev_hash.slice(0, 8) },
      ],
      rows: shown,
      selected,
      height: height - 1 - extraLines,
      empty: "no audit entries",
    }),
  );
}
