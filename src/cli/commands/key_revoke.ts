/**
 * `ferrohsm key revoke ID`: verify and decrypt keep working, sign and encrypt refuse.
 */

import type { Command } from "commander";
import { keyPath } from "../api_client.ts";
import type { CliContext } from "../context.ts";
import { renderChange } from "./_change.ts";

/** Registers `key revoke` under `parent`. */
export function keyRevokeCommand(parent: Command, ctx: CliContext): void {
  parent.command("revoke")
    .description("Revoke a key: verify and decrypt still work, sign and encrypt refuse")
    .argument("<id>", "key id")
    .action(ctx.action(async (id: string, _opts: unknown, cmd: Command) => {
      const res = await ctx.withApi(cmd, (api) => api.call("POST", keyPath(id, "/revoke")));
      renderChange(ctx, cmd, res.body);
    }));
}
