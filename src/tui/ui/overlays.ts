/**
 * The dialogs that take over the body while the screen underneath stays mounted (so
 * nothing typed or loaded there is lost): the key-binding help (`?`), the yes/no
 * confirmation of a lifecycle change, and the token prompt a 401 opens (masked input;
 * the token is never echoed).
 */

import { Box, Text, useInput } from "ink";
import { createElement as h, type ReactElement, useState } from "react";
import { ACTION_NAMES, ACTIONS, type BindingScope, keyName, keysOf } from "../key_bindings.ts";
import { safeText } from "../sanitize.ts";
import { useTui } from "./context.ts";
import { Form } from "./form.ts";
import { useValues } from "./use_values.ts";
import { Muted, Title } from "./widgets.ts";

const SCOPE_TITLES: Readonly<Record<BindingScope, string>> = {
  global: "Everywhere",
  list: "Lists and tables",
  keys: "Keys",
  key: "Key detail",
  crypto: "Crypto",
  approvals: "Approvals",
  audit: "Audit",
  health: "Health",
};

/** Every key binding by scope, scrollable; any key in `closeKeys` or escape closes it. */
export function HelpOverlay(props: { onClose: () => void }): ReactElement {
  const { bindings, theme, height } = useTui();
  const [offset, setOffset] = useState(0);
  const lines: ReactElement[] = [];
  for (const scope of Object.keys(SCOPE_TITLES) as BindingScope[]) {
    const actions = ACTION_NAMES.filter((a) => ACTIONS[a].scope === scope);
    if (actions.length === 0) continue;
    lines.push(h(Text, { key: scope, bold: true, color: theme.accent }, SCOPE_TITLES[scope]));
    for (const a of actions) {
      lines.push(h(
        Box,
        { key: `${scope}.${a}` },
        h(
          Box,
          { width: 18, flexShrink: 0 },
          h(Text, { bold: true }, safeText(keysOf(bindings, a))),
        ),
        h(Text, { wrap: "truncate-end" }, ACTIONS[a].help),
      ));
    }
  }
  const room = Math.max(1, height - 2);
  const max = Math.max(0, lines.length - room);
  useInput((input, key) => {
    const name = keyName(input, key);
    if (name === "down" || name === "j") setOffset(Math.min(max, offset + 1));
    else if (name === "up" || name === "k") setOffset(Math.max(0, offset - 1));
    else if (name === "pagedown" || name === "space") setOffset(Math.min(max, offset + room));
    else if (name === "pageup") setOffset(Math.max(0, offset - room));
    else props.onClose();
  });
  return h(
    Box,
    { flexDirection: "column" },
    h(Title, { text: "Key bindings", extra: "↑/↓ scroll · any other key closes" }),
    ...lines.slice(offset, offset + room),
  );
}

/** A yes/no question: y or enter confirms, n or escape cancels. */
export function ConfirmDialog(
  props: { question: string; onAnswer: (yes: boolean) => void },
): ReactElement {
  const { theme } = useTui();
  useInput((input, key) => {
    const name = keyName(input, key);
    if (name === "y" || name === "Y" || name === "enter") props.onAnswer(true);
    else if (name === "n" || name === "N" || name === "escape") props.onAnswer(false);
  });
  return h(
    Box,
    { flexDirection: "column", borderStyle: "round", borderColor: theme.warn, paddingX: 1 },
    h(Text, { bold: true, color: theme.warn }, "Confirm"),
    h(Text, { wrap: "wrap" }, safeText(props.question)),
    h(Muted, { text: "y / enter: yes    n / escape: no" }),
  );
}

/** Asks for a new bearer token (masked); escape cancels. */
export function TokenPrompt(
  props: { reason: string; onDone: (token: string | undefined) => void },
): ReactElement {
  const { theme } = useTui();
  const [values, change, latest] = useValues({ token: "" });
  return h(
    Box,
    { flexDirection: "column", borderStyle: "round", borderColor: theme.warn, paddingX: 1 },
    h(Text, { bold: true, color: theme.warn }, "Token needed"),
    h(Text, { wrap: "wrap" }, safeText(props.reason)),
    h(Muted, { text: "Paste a bearer token (JWT); the screen underneath is kept." }),
    h(Form, {
      fields: [
        { kind: "text", name: "token", label: "Token", value: values.token, mask: true },
        { kind: "button", name: "ok", label: "Use this token" },
      ],
      onChange: change,
      onSubmit: () => {
        const token = latest().token.trim();
        props.onDone(token === "" ? undefined : token);
      },
      onCancel: () => props.onDone(undefined),
      active: true,
      submitOnEnter: true,
      labelWidth: 8,
    }),
  );
}
