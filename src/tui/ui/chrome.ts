/**
 * The frame around every screen: the header (product, screen tabs, server address) with
 * the token flag — its subject and time left, turning to a warning a minute before
 * `exp` and an error once expired (decoded locally, not verified) — and the footer
 * (status line and key hints).
 */

import { Box, Text } from "ink";
import { createElement as h, type ReactElement, useEffect, useState } from "react";
import { keysOf } from "../key_bindings.ts";
import { safeText } from "../sanitize.ts";
import { describeTimeLeft, tokenStatus } from "../token_expiry.ts";
import { type NoticeKind, useTui } from "./context.ts";

/** The screens, in tab order. */
export const SCREENS = [
  { id: "keys", title: "Keys", action: "screenKeys" },
  { id: "crypto", title: "Crypto", action: "screenCrypto" },
  { id: "approvals", title: "Approvals", action: "screenApprovals" },
  { id: "audit", title: "Audit", action: "screenAudit" },
  { id: "health", title: "Health", action: "screenHealth" },
] as const;

/** A screen id. */
export type ScreenId = typeof SCREENS[number]["id"];

/** The header's token flag (the client's current token), refreshed every second. */
function TokenFlag(): ReactElement {
  const { theme, clock, bindings, client } = useTui();
  const [now, setNow] = useState(clock());
  useEffect(() => {
    const timer = setInterval(() => setNow(clock()), 1000);
    return () => clearInterval(timer);
  }, []);
  const status = tokenStatus(client.token, now);
  const who = status.subject === undefined ? "" : `${safeText(status.subject)} · `;
  const renew = `${keysOf(bindings, "token")} renew`;
  switch (status.state) {
    case "none":
      return h(Text, { color: theme.warn }, `no token · ${renew}`);
    case "unreadable":
      return h(Text, { color: theme.muted }, "token (no exp)");
    case "expired":
      return h(Text, { color: theme.error, bold: true }, `${who}TOKEN EXPIRED · ${renew}`);
    case "expiring":
      return h(
        Text,
        { color: theme.warn, bold: true },
        `${who}⚠ token expires in ${describeTimeLeft(status.secondsLeft ?? 0)} · ${renew}`,
      );
    default:
      return h(
        Text,
        { color: theme.muted },
        `${who}token ${describeTimeLeft(status.secondsLeft ?? 0)}`,
      );
  }
}

/** Product name, tabs, address and token flag (two lines). */
export function Header(props: { screen: ScreenId; tokenChanges: number }): ReactElement {
  const { theme, client } = useTui();
  return h(
    Box,
    { flexDirection: "column" },
    h(
      Box,
      null,
      h(Text, { bold: true, color: theme.accent }, "FerroHSM "),
      ...SCREENS.map((s, i) => {
        const on = s.id === props.screen;
        return h(
          Text,
          { key: s.id, ...(on ? { inverse: true, bold: true } : { color: theme.muted }) },
          ` ${i + 1} ${s.title} `,
        );
      }),
    ),
    h(
      Box,
      { justifyContent: "space-between" },
      h(
        Box,
        { flexShrink: 1 },
        h(Text, { color: theme.muted, wrap: "truncate-end" }, safeText(client.addr)),
      ),
      h(Box, { flexShrink: 0, marginLeft: 1 }, h(TokenFlag, { key: props.tokenChanges })),
    ),
  );
}

/** The status line and the key hints. */
export function Footer(
  props: { notice: { text: string; kind: NoticeKind } | undefined; editing: boolean },
): ReactElement {
  const { theme, bindings } = useTui();
  const color = props.notice?.kind === "error"
    ? theme.error
    : props.notice?.kind === "ok"
    ? theme.ok
    : "";
  const hints = props.editing
    ? "editing · esc leave the field · ctrl+c quit"
    : `${keysOf(bindings, "help")} help · ${keysOf(bindings, "palette")} palette · ${
      keysOf(bindings, "nextScreen")
    }/1-5 screens · ${keysOf(bindings, "refresh")} refresh · ${keysOf(bindings, "quit")} quit`;
  return h(
    Box,
    { flexDirection: "column" },
    h(
      Text,
      { color, wrap: "truncate-end" },
      props.notice === undefined ? " " : safeText(props.notice.text),
    ),
    h(Text, { color: theme.muted, wrap: "truncate-end" }, hints),
  );
}
