/**
 * A keyboard form: text fields (optionally masked), choices (left/right), multiple
 * choices (left/right to move, space to toggle), toggles and one submit button. Up/down
 * and tab/shift+tab move between fields, enter moves on (or submits on the button),
 * escape cancels. Typed text has control characters removed; errors show next to their
 * field. The parent keeps the values; the form only edits them.
 */

import { Box, Text, useInput } from "ink";
import { createElement as h, type ReactElement, useRef, useState } from "react";
import { keyName } from "../key_bindings.ts";
import { safeText } from "../sanitize.ts";
import { useTui } from "./context.ts";

/** One field of a form. */
export type FieldSpec =
  | { kind: "text"; name: string; label: string; value: string; mask?: boolean; hint?: string }
  | { kind: "choice"; name: string; label: string; value: string; options: readonly string[] }
  | {
    kind: "multi";
    name: string;
    label: string;
    values: readonly string[];
    options: readonly string[];
  }
  | { kind: "toggle"; name: string; label: string; value: boolean }
  | { kind: "button"; name: string; label: string };

/** A field's value: text, choice, list of choices or toggle. */
export type FieldValue = string | readonly string[] | boolean;

/** Computes a field's new value from its latest one (key presses may outrun renders). */
export type FieldUpdate = (old: FieldValue) => FieldValue;

/** What the form reports. */
export interface FormProps {
  readonly fields: readonly FieldSpec[];
  readonly onChange: (name: string, update: FieldUpdate) => void;
  readonly onSubmit: () => void;
  readonly onCancel: () => void;
  /** Field name → error message shown next to it. */
  readonly errors?: Readonly<Record<string, string>>;
  readonly active: boolean;
  /** Enter submits from any field (single-field dialogs). */
  readonly submitOnEnter?: boolean;
  readonly labelWidth?: number;
}

// deno-lint-ignore no-control-regex -- typed text never carries control characters
const CONTROL = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** The form. */
export function Form(props: FormProps): ReactElement {
  const { theme, width } = useTui();
  const [focus, setFocusState] = useState(0);
  const [cursor, setCursorState] = useState(0);
  // Refs: several key presses may arrive before the next render.
  const focusRef = useRef(0);
  const cursorRef = useRef(0);
  const setCursor = (c: number) => {
    cursorRef.current = c;
    setCursorState(c);
  };
  const count = props.fields.length;
  const at = Math.min(focus, count - 1);
  const move = (delta: number) => {
    focusRef.current = (Math.min(focusRef.current, count - 1) + delta + count) % count;
    setFocusState(focusRef.current);
    setCursor(0);
  };
  useInput((input, key) => {
    const field = props.fields[Math.min(focusRef.current, count - 1)];
    if (field === undefined) return;
    const name = keyName(input, key);
    if (name === "escape") return props.onCancel();
    if (name === "up" || name === "shift+tab") return move(-1);
    if (name === "down" || name === "tab") return move(1);
    if (name === "enter") {
      return field.kind === "button" || props.submitOnEnter === true ? props.onSubmit() : move(1);
    }
    const set = (update: FieldUpdate) => props.onChange(field.name, update);
    if (field.kind === "text") {
      if (name === "backspace" || name === "delete") set((old) => String(old).slice(0, -1));
      else if (name === "ctrl+u") set(() => "");
      else if (!key.ctrl && !key.meta && input !== "") {
        const typed = input.replace(CONTROL, "");
        set((old) => String(old) + typed);
      }
    } else if (field.kind === "choice") {
      const { options } = field;
      const step = name === "left" ? -1 : name === "right" || name === "space" ? 1 : 0;
      if (step !== 0) {
        set((old) => {
          const i = options.indexOf(String(old));
          return options[(i + step + options.length) % options.length] ?? String(old);
        });
      }
    } else if (field.kind === "multi") {
      const { options } = field;
      const n = options.length;
      if (name === "left") setCursor((cursorRef.current - 1 + n) % n);
      if (name === "right") setCursor((cursorRef.current + 1) % n);
      if (name === "space") {
        const option = options[cursorRef.current] ?? "";
        set((old) => {
          const list = Array.isArray(old) ? old as readonly string[] : [];
          return list.includes(option) ? list.filter((v) => v !== option) : [...list, option];
        });
      }
    } else if (
      field.kind === "toggle" && (name === "space" || name === "left" || name === "right")
    ) {
      set((old) => !old);
    }
  }, { isActive: props.active });

  const labelWidth = props.labelWidth ?? 14;
  const valueWidth = Math.max(10, width - labelWidth - 4);
  return h(
    Box,
    { flexDirection: "column" },
    ...props.fields.map((f, i) => {
      const focused = props.active && i === at;
      const error = props.errors?.[f.name];
      const marker = h(Text, { color: theme.accent }, focused ? "›" : " ");
      if (f.kind === "button") {
        return h(
          Box,
          { key: f.name, marginTop: 1 },
          marker,
          h(
            Text,
            focused
              ? { inverse: true, bold: true, color: theme.accent }
              : { bold: true, color: theme.accent },
            ` ${f.label} `,
          ),
        );
      }
      return h(
        Box,
        { key: f.name, flexDirection: "column" },
        h(
          Box,
          null,
          marker,
          h(
            Box,
            { width: labelWidth, flexShrink: 0 },
            h(Text, { color: theme.muted, wrap: "truncate-end" }, f.label),
          ),
          h(Box, { flexGrow: 1 }, renderValue(f, focused, cursor, valueWidth, theme.accent)),
        ),
        error === undefined ? null : h(
          Box,
          { marginLeft: labelWidth + 1 },
          h(Text, { color: theme.error, wrap: "truncate-end" }, safeText(error)),
        ),
      );
    }),
  );
}

function renderValue(
  f: FieldSpec,
  focused: boolean,
  cursor: number,
  width: number,
  accent: string,
): ReactElement {
  if (f.kind === "text") {
    const shown = f.mask === true ? "•".repeat(Math.min(f.value.length, 40)) : safeText(f.value);
    const tail = shown.length > width - 2 ? `…${shown.slice(-(width - 3))}` : shown;
    if (shown === "" && !focused && f.hint !== undefined) {
      return h(Text, { dimColor: true, wrap: "truncate-end" }, f.hint);
    }
    return h(Text, { wrap: "truncate-end" }, tail, focused ? h(Text, { inverse: true }, " ") : "");
  }
  if (f.kind === "choice") {
    return h(
      Text,
      { wrap: "truncate-end" },
      focused ? "◂ " : "",
      h(Text, { color: accent, bold: focused }, f.value),
      focused ? " ▸" : "",
    );
  }
  if (f.kind === "toggle") return h(Text, null, f.value ? "[x] yes" : "[ ] no");
  if (f.kind === "multi") {
    return h(
      Text,
      { wrap: "wrap" },
      ...f.options.map((o, i) => {
        const mark = f.values.includes(o) ? "[x]" : "[ ]";
        const here = focused && i === cursor;
        return h(Text, { key: o, ...(here ? { inverse: true } : {}) }, `${mark} ${o} `);
      }),
    );
  }
  return h(Text, null, "");
}
