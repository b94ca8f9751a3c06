/**
 * Starts the TUI on the terminal: reads its config, builds the API client and renders
 * the app with Ink in the alternate screen (the shell's screen comes back on exit).
 * Ink is told the terminal is interactive explicitly, since it would otherwise fall
 * back to a non-interactive mode whenever `CI` is set. The clipboard copy is an OSC 52
 * sequence carrying only base64, so it cannot inject terminal controls.
 */

import { render } from "ink";
import { createElement as h } from "react";
import type { ApiClientOptions } from "../cli/api_client.ts";
import { UsageError } from "../cli/errors.ts";
import { toBase64, utf8 } from "../core/encoding.ts";
import { writeAll } from "../util/logger.ts";
import { TuiApp } from "./app.ts";
import { TuiClient } from "./tui_client.ts";
import { loadTuiConfig } from "./tui_config.ts";
import type { CommandRunner } from "./ui/palette.ts";

/** How to start the TUI. */
export interface StartTuiOptions {
  /** The API connection (the CLI's global options). */
  readonly api: ApiClientOptions;
  /** `--tui-config`, or undefined for the default file. */
  readonly configPath: string | undefined;
  /** Runs CLI command lines in-process for the palette. */
  readonly run: CommandRunner;
}

/** The OSC 52 sequence that puts `text` on the terminal's clipboard. */
export function osc52(text: string): string {
  return `\x1b]52;c;${toBase64(utf8(text))}\x07`;
}

/**
 * Runs the TUI until the user quits; resolves to the exit code (0).
 * @throws UsageError when stdin or stdout is not a terminal, or for a bad config file
 */
export async function startTui(options: StartTuiOptions): Promise<number> {
  const config = await loadTuiConfig(options.configPath);
  if (!Deno.stdin.isTerminal() || !Deno.stdout.isTerminal()) {
    throw new UsageError("Cannot start the TUI: stdin and stdout must be a terminal");
  }
  const client = new TuiClient(options.api);
  const encoder = new TextEncoder();
  try {
    const app = render(
      h(TuiApp, {
        client,
        config,
        run: options.run,
        copy: (text: string) => writeAll(Deno.stdout, encoder.encode(osc52(text))),
        noColor: Deno.noColor,
      }),
      { alternateScreen: true, interactive: true, exitOnCtrlC: false, patchConsole: false },
    );
    await app.waitUntilExit();
    return 0;
  } finally {
    client.close();
  }
}
