/**
 * `ferrohsm key rotate ID`: adds a new version; earlier versions keep decrypting and
 * verifying. Under a dual-control policy the answer is an approval (202).
 */

import type { Command } from "commander";
import { keyPath } from "../api_client.ts";
import type { CliContext } from "../context.ts";
import { renderChange } from "./_change.ts";

/** Registers `key rotate` under `parent`. */
export function keyRotateCommand(parent: Command, ctx: CliContext): void {
  parent.command("rotate")
    .description("Create a new key version (earlier versions still decrypt and verify)")
    .argument("<id>", "key id")
    .action(ctx.action(async (id: string, _opts: unknown, cmd: Command) => {
      const res = await ctx.withApi(cmd, (api) => api.call("POST", keyPath(id, "/rotate")));
      renderChange(ctx, cmd, res.body);
    }));
}
