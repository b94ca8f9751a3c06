/**
 * `ferrohsm sign ID [--in F|-] [--out F|-] [--digest] [--hash H] [--padding pkcs1|pss]
 * [--format der|raw]`: raw signature bytes out (the API's JSON, base64, with --json).
 */

import type { Command } from "commander";
import { keyPath } from "../api_client.ts";
import type { CliContext } from "../context.ts";
import { readInput, writeBinaryField } from "../output.ts";
import { addSignOptions, signFields, type SignOptions } from "./_sign_options.ts";

/** Registers `sign` under `parent`. */
export function signCommand(parent: Command, ctx: CliContext): void {
  addSignOptions(
    parent.command("sign")
      .description("Sign a message or digest; writes the raw signature bytes")
      .argument("<id>", "key id"),
  )
    .option("--out <file>", "signature file, - for stdout", "-")
    .action(ctx.action(async (id: string, opts: SignOptions & { out?: string }, cmd: Command) => {
      const body = signFields(await readInput(opts.in), opts);
      const res = await ctx.withApi(
        cmd,
        (api) => api.call<{ signature: string }>("POST", keyPath(id, "/sign"), body),
      );
      await writeBinaryField(opts.out, res.body, "signature", {
        json: ctx.json(cmd),
        out: ctx.out,
      });
    }));
}
