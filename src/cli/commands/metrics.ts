/**
 * `ferrohsm metrics`: prints the server's Prometheus exposition (`GET /metrics`),
 * sending the token when one is configured (`--metrics-auth` servers need it), with
 * control characters other than newlines shown escaped.
 */

import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { escapeControls } from "../terminal_text.ts";

/** Registers `metrics` under `parent`. */
export function metricsCommand(parent: Command, ctx: CliContext): void {
  parent.command("metrics")
    .description("Print the server's Prometheus metrics")
    .action(ctx.action(async (_opts: unknown, cmd: Command) => {
      const raw = await ctx.withApi(cmd, (api) => api.text("/metrics"));
      const text = escapeControls(raw, { keepNewlines: true });
      ctx.out.text(text.endsWith("\n") || text === "" ? text : `${text}\n`);
    }));
}
