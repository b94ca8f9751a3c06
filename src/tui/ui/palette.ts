/**
 * The command palette (`:`): runs any `ferrohsm` CLI command line in-process through
 * the CLI's own commander program (injected as a `CommandRunner`, with the TUI's
 * address, token and TLS files as global options) and shows what it printed: JSON
 * highlighted, text escaped line by line, binary output as base64. History with ↑/↓.
 */

import { Box, Text, useInput } from "ink";
import { createElement as h, type ReactElement, useRef, useState } from "react";
import { toBase64 } from "../../core/encoding.ts";
import { paletteRefusal, splitCommandLine } from "../command_line.ts";
import { type JsonLine, jsonLines } from "../json_lines.ts";
import { keyName } from "../key_bindings.ts";
import { safeLines } from "../sanitize.ts";
import { useTui } from "./context.ts";
import { JsonView, Muted, Title } from "./widgets.ts";

/** What one in-process CLI run printed. */
export interface CommandOutput {
  readonly code: number;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
}

/** Runs a CLI command line (words after `ferrohsm`) with the TUI's connection settings. */
export type CommandRunner = (
  argv: readonly string[],
  connection: { readonly addr: string; readonly token: string | undefined },
) => Promise<CommandOutput>;

// deno-lint-ignore no-control-regex -- typed text never carries control characters
const CONTROL = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** The output of a run as highlighted lines. */
export function outputLines(out: CommandOutput): JsonLine[] {
  const lines: JsonLine[] = [];
  let text: string | undefined;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(out.stdout);
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    lines.push([{ text: `binary output, ${out.stdout.length} bytes, base64:`, role: "punct" }]);
    lines.push([{ text: toBase64(out.stdout), role: "string" }]);
  } else if (/^\s*[[{]/.test(text)) {
    try {
      lines.push(...text.trim().split("\n").flatMap((l) => jsonLines(JSON.parse(l))));
    } catch {
      lines.push(...plain(text, "space"));
    }
  } else lines.push(...plain(text, "space"));
  const err = new TextDecoder().decode(out.stderr);
  if (err.trim() !== "") lines.push(...plain(err, "literal"));
  return lines;
}

function plain(text: string, role: "space" | "literal"): JsonLine[] {
  return safeLines(text.replace(/\n$/, "")).split("\n").map((l) => [{ text: l, role }]);
}

/** The palette overlay. */
export function CommandPalette(props: { run: CommandRunner; onClose: () => void }): ReactElement {
  const { client, theme, height, width } = useTui();
  const [line, setLineState] = useState("");
  const typed = useRef("");
  const setLine = (text: string) => {
    typed.current = text;
    setLineState(text);
  };
  const [past, setPast] = useState<string[]>([]);
  const [back, setBack] = useState(-1);
  const [output, setOutput] = useState<{ lines: JsonLine[]; code: number } | undefined>();
  const [offset, setOffset] = useState(0);
  const [running, setRunning] = useState(false);
  const room = Math.max(1, height - 4);

  const submit = async () => {
    const line = typed.current;
    const argv = splitCommandLine(line);
    const refusal = Array.isArray(argv) ? paletteRefusal(argv) : argv.error;
    if (refusal !== undefined || !Array.isArray(argv)) {
      setOutput({ lines: [[{ text: refusal ?? "", role: "literal" }]], code: 2 });
      return;
    }
    setPast([line, ...past.filter((l) => l !== line)].slice(0, 50));
    setBack(-1);
    setRunning(true);
    try {
      const out = await props.run(argv, { addr: client.addr, token: client.token });
      setOutput({ lines: outputLines(out), code: out.code });
    } catch (err) {
      const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      setOutput({ lines: plain(text, "literal"), code: 1 });
    } finally {
      setRunning(false);
      setOffset(0);
    }
  };

  useInput((input, key) => {
    const name = keyName(input, key);
    if (name === "escape") return props.onClose();
    if (running) return;
    if (name === "enter") return void submit();
    if (name === "pagedown") return setOffset((o) => o + room);
    if (name === "pageup") return setOffset((o) => Math.max(0, o - room));
    if (name === "up" || name === "down") {
      const next = Math.max(-1, Math.min(past.length - 1, back + (name === "up" ? 1 : -1)));
      setBack(next);
      return setLine(next < 0 ? "" : past[next] ?? "");
    }
    if (name === "backspace" || name === "delete") return setLine(typed.current.slice(0, -1));
    if (name === "ctrl+u") return setLine("");
    if (!key.ctrl && !key.meta && input !== "") setLine(typed.current + input.replace(CONTROL, ""));
  });

  const shownLine = line.length > width - 4 ? `…${line.slice(-(width - 5))}` : line;
  return h(
    Box,
    { flexDirection: "column", height },
    h(Title, {
      text: "Command palette",
      extra: "any ferrohsm command line · ↑/↓ history · pgup/pgdn scroll · esc close",
    }),
    h(
      Box,
      { flexDirection: "column", flexGrow: 1 },
      output === undefined
        ? h(Muted, { text: "e.g.  key list --state active    approval list --json    health" })
        : h(JsonView, {
          lines: output.lines,
          offset: Math.min(offset, Math.max(0, output.lines.length - room)),
          height: room,
        }),
    ),
    h(
      Text,
      { color: output === undefined || output.code === 0 ? theme.muted : theme.error },
      running ? "running…" : output === undefined ? " " : `exit ${output.code}`,
    ),
    h(
      Text,
      { wrap: "truncate-end" },
      h(Text, { color: theme.accent, bold: true }, ": "),
      safeLines(shownLine),
      h(Text, { inverse: true }, " "),
    ),
  );
}
