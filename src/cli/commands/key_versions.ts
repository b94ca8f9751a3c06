/**
 * `ferrohsm key versions ID`: every version of a key with its state.
 */

import type { Command } from "commander";
import { keyPath } from "../api_client.ts";
import type { CliContext } from "../context.ts";
import { versionTable } from "../render.ts";
import type { KeyVersionJson } from "../../contract/keys.ts";

/** Registers `key versions` under `parent`. */
export function keyVersionsCommand(parent: Command, ctx: CliContext): void {
  parent.command("versions")
    .description("List a key's versions")
    .argument("<id>", "key id")
    .action(ctx.action(async (id: string, _opts: unknown, cmd: Command) => {
      const res = await ctx.withApi(
        cmd,
        (api) => api.call<{ items: KeyVersionJson[] }>("GET", keyPath(id, "/versions")),
      );
      if (ctx.json(cmd)) return ctx.printJson(res.body);
      ctx.out.line(versionTable(res.body.items, ctx.style));
    }));
}
