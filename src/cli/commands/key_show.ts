/**
 * `ferrohsm key show ID`: one key's metadata (never any key material).
 */

import type { Command } from "commander";
import { keyPath } from "../api_client.ts";
import type { CliContext } from "../context.ts";
import { keyDetails } from "../render.ts";
import type { KeyJson } from "../../contract/keys.ts";

/** Registers `key show` under `parent`. */
export function keyShowCommand(parent: Command, ctx: CliContext): void {
  parent.command("show")
    .description("Show one key's metadata")
    .argument("<id>", "key id")
    .action(ctx.action(async (id: string, _opts: unknown, cmd: Command) => {
      const res = await ctx.withApi(cmd, (api) => api.call<KeyJson>("GET", keyPath(id)));
      if (ctx.json(cmd)) return ctx.printJson(res.body);
      ctx.out.line(keyDetails(res.body, ctx.style));
    }));
}
