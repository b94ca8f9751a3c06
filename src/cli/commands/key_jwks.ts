/**
 * `ferrohsm key jwks ID`: prints the key's JWK Set (public keys of its versions, `kid`
 * `<id>.<version>`) as JSON, ready to publish for relying parties.
 */

import type { Command } from "commander";
import { keyPath } from "../api_client.ts";
import type { CliContext } from "../context.ts";

/** Registers `key jwks` under `parent`. */
export function keyJwksCommand(parent: Command, ctx: CliContext): void {
  parent.command("jwks")
    .description("Print the key's public keys as a JWK Set")
    .argument("<id>", "key id")
    .action(ctx.action(async (id: string, _opts: unknown, cmd: Command) => {
      const res = await ctx.withApi(cmd, (api) => api.call("GET", keyPath(id, "/jwks")));
      ctx.out.line(JSON.stringify(res.body, null, ctx.json(cmd) ? undefined : 2));
    }));
}
