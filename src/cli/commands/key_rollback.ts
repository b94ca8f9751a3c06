/**
 * `ferrohsm key rollback ID --version N`: records a new version holding version N's
 * material. Under a dual-control policy the answer is an approval (202).
 */

import type { Command } from "commander";
import { keyPath } from "../api_client.ts";
import type { CliContext } from "../context.ts";
import { positiveInt } from "../parsers.ts";
import { renderChange } from "./_change.ts";

/** Registers `key rollback` under `parent`. */
export function keyRollbackCommand(parent: Command, ctx: CliContext): void {
  parent.command("rollback")
    .description("Make an earlier version current again (recorded as a new version)")
    .argument("<id>", "key id")
    .requiredOption("--version <n>", "the version whose material becomes current", positiveInt)
    .action(ctx.action(async (id: string, opts: { version: number }, cmd: Command) => {
      const res = await ctx.withApi(
        cmd,
        (api) => api.call("POST", keyPath(id, "/rollback"), { version: opts.version }),
      );
      renderChange(ctx, cmd, res.body);
    }));
}
