/**
 * `ferrohsm key public ID [--version N] [--out F]`: the SPKI public key as PEM, to
 * stdout or a file (asymmetric keys only).
 */

import type { Command } from "commander";
import { keyPath } from "../api_client.ts";
import type { CliContext } from "../context.ts";
import { writeOutput } from "../output.ts";
import { positiveInt } from "../parsers.ts";
import { escapeControls } from "../terminal_text.ts";

interface PublicOptions {
  readonly version?: number;
  readonly out?: string;
}

/** Registers `key public` under `parent`. */
export function keyPublicCommand(parent: Command, ctx: CliContext): void {
  parent.command("public")
    .description("Print a public key as PEM (SPKI)")
    .argument("<id>", "key id")
    .option("--version <n>", "key version (default: current)", positiveInt)
    .option("--out <file>", "write the PEM to a file instead of stdout")
    .action(ctx.action(async (id: string, opts: PublicOptions, cmd: Command) => {
      const qs = opts.version === undefined ? "" : `?version=${opts.version}`;
      const res = await ctx.withApi(
        cmd,
        (api) => api.call<{ pem: string }>("GET", keyPath(id, `/public${qs}`)),
      );
      if (ctx.json(cmd)) return ctx.printJson(res.body);
      const text = escapeControls(String(res.body.pem), { keepNewlines: true });
      const pem = text.endsWith("\n") ? text : `${text}\n`;
      await writeOutput(opts.out, new TextEncoder().encode(pem), ctx.out);
    }));
}
