/**
 * `ferrohsm verify ID --signature F [--in F|-] [--digest] [--hash H] [--padding P]
 * [--format F] [--version N]`: exit 0 when the raw signature in F is valid, 1 when not.
 */

import type { Command } from "commander";
import { keyPath } from "../api_client.ts";
import type { CliContext } from "../context.ts";
import { toBase64 } from "../../core/encoding.ts";
import { EXIT } from "../../server/startup_error.ts";
import { readInput } from "../output.ts";
import { positiveInt } from "../parsers.ts";
import { addSignOptions, signFields, type SignOptions } from "./_sign_options.ts";

interface VerifyOptions extends SignOptions {
  readonly signature: string;
  readonly version?: number;
}

/** Registers `verify` under `parent`. */
export function verifyCommand(parent: Command, ctx: CliContext): void {
  addSignOptions(
    parent.command("verify")
      .description("Verify a signature: exit 0 when valid, 1 when not")
      .argument("<id>", "key id"),
  )
    .requiredOption("--signature <file>", "file holding the raw signature bytes")
    .option("--version <n>", "key version (default: current)", positiveInt)
    .action(ctx.action(async (id: string, opts: VerifyOptions, cmd: Command) => {
      const signature = await Deno.readFile(opts.signature);
      const body = {
        ...signFields(await readInput(opts.in), opts),
        signature: toBase64(signature),
        ...(opts.version === undefined ? {} : { version: opts.version }),
      };
      const res = await ctx.withApi(
        cmd,
        (api) => api.call<{ valid: boolean }>("POST", keyPath(id, "/verify"), body),
      );
      if (ctx.json(cmd)) ctx.printJson(res.body);
      else ctx.out.line(res.body.valid ? "signature valid" : "signature INVALID");
      return res.body.valid === true ? EXIT.ok : EXIT.failure;
    }));
}
