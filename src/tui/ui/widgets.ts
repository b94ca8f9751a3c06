/**
 * Small building blocks of every screen: one-line text that is escaped and truncated,
 * labelled values, a windowed table with a selected row, and highlighted JSON. Every
 * string passed as data goes through `safeText`; nothing here prints raw server text.
 */

import { Box, Text } from "ink";
import { createElement as h, type ReactElement, type ReactNode } from "react";
import { type JsonLine, jsonLines, type JsonRole } from "../json_lines.ts";
import { safeText, safeValue } from "../sanitize.ts";
import type { Theme } from "../theme.ts";
import { useTui } from "./context.ts";

/** One line of escaped text, cut at the width it gets. */
export function Line(
  props: { text: unknown; color?: string | undefined; bold?: boolean; dim?: boolean },
): ReactElement {
  return h(
    Text,
    {
      wrap: "truncate-end",
      ...(props.color === undefined ? {} : { color: props.color }),
      ...(props.bold === true ? { bold: true } : {}),
      ...(props.dim === true ? { dimColor: true } : {}),
    },
    safeValue(props.text),
  );
}

/** A muted line (hints, empty states). */
export function Muted(props: { text: string }): ReactElement {
  const { theme } = useTui();
  return h(Line, { text: props.text, color: theme.muted, dim: theme.dimMuted });
}

/** A screen or section title. */
export function Title(props: { text: string; extra?: string }): ReactElement {
  const { theme } = useTui();
  return h(
    Box,
    { gap: 2 },
    h(
      Box,
      { flexShrink: 0 },
      h(Text, { color: theme.accent, bold: true, wrap: "truncate-end" }, safeText(props.text)),
    ),
    props.extra === undefined ? null : h(Line, { text: props.extra, color: theme.muted }),
  );
}

/** `label  value` rows with aligned labels. */
export function Details(
  props: { rows: readonly (readonly [string, unknown, string?])[]; labelWidth?: number },
): ReactElement {
  const { theme } = useTui();
  const width = props.labelWidth ??
    Math.min(18, Math.max(...props.rows.map(([l]) => l.length)) + 2);
  return h(
    Box,
    { flexDirection: "column" },
    ...props.rows.map(([label, value, color], i) =>
      h(
        Box,
        { key: i },
        h(Box, { width, flexShrink: 0 }, h(Line, { text: label, color: theme.muted })),
        h(Line, { text: value, color }),
      )
    ),
  );
}

/** One column of a table. */
export interface Column<T> {
  readonly title: string;
  /** Fixed width; the last column without one takes the rest. */
  readonly width?: number;
  readonly value: (row: T) => unknown;
  readonly color?: (row: T) => string | undefined;
}

/** The first visible row so that `selected` shows in a window of `height` rows. */
export function windowStart(selected: number, count: number, height: number): number {
  if (count <= height) return 0;
  const half = Math.floor(height / 2);
  return Math.max(0, Math.min(selected - half, count - height));
}

/** A table showing `height` rows around the selected one. */
export function Table<T>(
  props: {
    columns: readonly Column<T>[];
    rows: readonly T[];
    selected: number;
    height: number;
    empty?: string;
    focused?: boolean;
  },
): ReactElement {
  const { theme } = useTui();
  const bodyRows = Math.max(1, props.height - 1);
  const start = windowStart(props.selected, props.rows.length, bodyRows);
  const visible = props.rows.slice(start, start + bodyRows);
  const cell = (col: Column<T>, text: ReactNode, key: number, color?: string) =>
    h(
      Box,
      col.width === undefined
        ? { key, flexGrow: 1, flexBasis: 0, minWidth: 4 }
        : { key, width: col.width, flexShrink: 0, marginRight: 1 },
      h(Text, { wrap: "truncate-end", ...(color === undefined ? {} : { color }) }, text),
    );
  const header = h(
    Box,
    { key: "header" },
    ...props.columns.map((col, i) => cell(col, h(Text, { bold: true }, col.title), i, theme.muted)),
  );
  if (props.rows.length === 0) {
    return h(
      Box,
      { flexDirection: "column" },
      header,
      h(Muted, { text: props.empty ?? "nothing" }),
    );
  }
  return h(
    Box,
    { flexDirection: "column" },
    header,
    ...visible.map((row, i) => {
      const selected = start + i === props.selected && props.focused !== false;
      const colors = selected && theme.selectBg !== "" ? { backgroundColor: theme.selectBg } : {};
      return h(
        Box,
        { key: start + i, ...colors },
        ...props.columns.map((col, c) => {
          const color = selected ? theme.selectFg : col.color?.(row);
          return cell(
            col,
            h(
              Text,
              selected && theme.selectBg === "" ? { inverse: true } : {},
              safeValue(col.value(row)),
            ),
            c,
            color,
          );
        }),
      );
    }),
  );
}

function roleColor(theme: Theme, role: JsonRole): string {
  return role === "space"
    ? ""
    : role === "key"
    ? theme.json.key
    : role === "string"
    ? theme.json.string
    : role === "number"
    ? theme.json.number
    : role === "literal"
    ? theme.json.literal
    : theme.json.punct;
}

/** Highlighted JSON, `height` lines from line `offset`. */
export function JsonView(
  props: { value?: unknown; lines?: readonly JsonLine[]; offset?: number; height: number },
): ReactElement {
  const { theme } = useTui();
  const all = props.lines ?? jsonLines(props.value);
  const offset = Math.max(0, Math.min(props.offset ?? 0, Math.max(0, all.length - props.height)));
  const shown = all.slice(offset, offset + props.height);
  return h(
    Box,
    { flexDirection: "column" },
    ...shown.map((line, i) =>
      h(
        Text,
        { key: offset + i, wrap: "truncate-end" },
        ...line.map((seg, j) => {
          return h(Text, { key: j, color: roleColor(theme, seg.role) }, seg.text);
        }),
      )
    ),
  );
}

/** A coloured state word (active green, revoked/destroyed red, staged/pending yellow). */
export function stateColor(theme: Theme, state: string): string {
  if (state === "active" || state === "approved" || state === "executed" || state === "ok") {
    return theme.ok;
  }
  if (state === "staged" || state === "pending") return theme.warn;
  if (state === "revoked" || state === "destroyed" || state === "denied" || state === "expired") {
    return theme.error;
  }
  return "";
}
