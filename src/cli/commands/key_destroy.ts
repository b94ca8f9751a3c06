/**
 * `ferrohsm key destroy ID`: requests destruction, which always needs a second
 * administrator (`ferrohsm approval approve`). Prints the approval.
 */

import type { Command } from "commander";
import { keyPath } from "../api_client.ts";
import type { CliContext } from "../context.ts";
import { renderChange } from "./_change.ts";

/** Registers `key destroy` under `parent`. */
export function keyDestroyCommand(parent: Command, ctx: CliContext): void {
  parent.command("destroy")
    .description("Request destruction of a key (a second administrator must approve)")
    .argument("<id>", "key id")
    .action(ctx.action(async (id: string, _opts: unknown, cmd: Command) => {
      const res = await ctx.withApi(cmd, (api) => api.call("DELETE", keyPath(id)));
      renderChange(ctx, cmd, res.body);
    }));
}
