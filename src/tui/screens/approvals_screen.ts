/**
 * The Approvals screen: pending dual-control requests (requester, action, key, quorum
 * progress, time left) with approve and deny behind a confirmation, and the history of
 * decided ones (`h` switches). Enter shows a request's JSON. The server refuses a
 * requester approving its own request; the refusal is shown as it comes.
 */

import { Box, useInput } from "ink";
import { createElement as h, type ReactElement, useEffect, useState } from "react";
import type { ApprovalJson } from "../../contract/approvals.ts";
import { type ActionName, isAction, keyName, keysOf } from "../key_bindings.ts";
import { type ScreenProps, useTui } from "../ui/context.ts";
import { listMove } from "../ui/list_nav.ts";
import { JsonView, stateColor, Table, Title } from "../ui/widgets.ts";

/** "12m left", "expired". */
export function timeLeft(expiresAt: string, nowMs: number): string {
  const s = Math.floor((Date.parse(expiresAt) - nowMs) / 1000);
  if (!Number.isFinite(s)) return "?";
  if (s <= 0) return "expired";
  if (s < 60) return `${s}s left`;
  if (s < 3600) return `${Math.floor(s / 60)}m left`;
  return `${Math.floor(s / 3600)}h left`;
}

/** The Approvals screen. */
export function ApprovalsScreen(
  props: ScreenProps,
): ReactElement {
  const tui = useTui();
  const { client, theme, bindings, height } = tui;
  const [history, setHistory] = useState(false);
  const [items, setItems] = useState<ApprovalJson[]>([]);
  const [loading, setLoading] = useState(true);
  const [selected, setSelected] = useState(0);
  const [open, setOpen] = useState<ApprovalJson | undefined>();

  const load = async () => {
    setLoading(true);
    try {
      if (history) {
        const first = await client.approvals(undefined);
        const pages = Math.ceil(first.total / first.per_page);
        const last = pages > 1 ? await client.approvals(undefined, pages) : first;
        setItems(last.items.filter((a) => a.state !== "pending").reverse());
      } else setItems((await client.approvals("pending")).items);
    } catch (err) {
      tui.report(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    if (props.visible) void load();
  }, [props.refreshTick, history, props.visible]);

  const decide = (decision: "approve" | "deny", a: ApprovalJson) =>
    tui.confirm(
      `${decision === "approve" ? "Approve" : "Deny"} ${a.action} of key ${
        a.key_id ?? "—"
      } requested by ${a.requested_by} (${a.id})?`,
      async () => {
        try {
          const res = await client.decide(a.id, decision);
          tui.notify(
            `${
              decision === "approve" ? "Approved" : "Denied"
            } ${res.id}: ${res.state} (${res.approvals.length}/${res.quorum})`,
            "ok",
          );
        } catch (err) {
          tui.report(err);
        }
        await load();
      },
    );

  useInput((input, key) => {
    const name = keyName(input, key);
    const is = (a: ActionName) => isAction(bindings, a, name);
    if (open !== undefined) {
      if (is("back") || is("open")) setOpen(undefined);
      return;
    }
    const moved = listMove(bindings, name, selected, items.length, height - 2);
    if (moved !== undefined) {
      return setSelected((s) => listMove(bindings, name, s, items.length, height - 2) ?? s);
    }
    if (is("history")) {
      setHistory(!history);
      setSelected(0);
      return;
    }
    const row = items[selected];
    if (row === undefined) return;
    if (is("open")) setOpen(row);
    else if (is("approve") && !history) decide("approve", row);
    else if (is("deny") && !history) decide("deny", row);
  }, { isActive: props.active });

  if (open !== undefined) {
    return h(
      Box,
      { flexDirection: "column" },
      h(Title, { text: `Approval ${open.id}`, extra: "esc back" }),
      h(JsonView, { value: open, height: height - 1 }),
    );
  }
  const now = tui.clock();
  return h(
    Box,
    { flexDirection: "column" },
    h(Title, {
      text: history ? "Approvals — history" : "Approvals — pending",
      extra: `${loading ? "loading… · " : `${items.length} · `}${
        history
          ? ""
          : `${keysOf(bindings, "approve")} approve · ${keysOf(bindings, "deny")} deny · `
      }${keysOf(bindings, "history")} ${history ? "pending" : "history"}`,
    }),
    h(Table<ApprovalJson>, {
      columns: [
        { title: "ACTION", width: 15, value: (a) => a.action },
        {
          title: "KEY",
          width: 13,
          value: (a) => a.key_id === null ? "—" : `${a.key_id.slice(0, 12)}…`,
        },
        { title: "REQUESTER", value: (a) => a.requested_by },
        { title: "QUORUM", width: 6, value: (a) => `${a.approvals.length}/${a.quorum}` },
        history
          ? {
            title: "STATE",
            width: 9,
            value: (a) => a.state,
            color: (a) => stateColor(theme, a.state),
          }
          : { title: "EXPIRES", width: 9, value: (a) => timeLeft(a.expires_at, now) },
        { title: "ID", width: 9, value: (a) => `${a.id.slice(0, 8)}…` },
      ],
      rows: items,
      selected,
      height: height - 1,
      empty: loading ? "loading…" : history ? "no decided requests" : "no pending requests",
    }),
  );
}
