/**
 * `ferrohsm approval list [--state S]`: dual-control requests as a table.
 */

import { type Command, Option } from "commander";
import type { CliContext } from "../context.ts";
import { approvalTable } from "../render.ts";
import type { ApprovalJson } from "../../contract/approvals.ts";

/** Registers `approval list` under `parent`. */
export function approvalListCommand(parent: Command, ctx: CliContext): void {
  parent.command("list")
    .description("List approval requests")
    .addOption(
      new Option("--state <state>", "only this state")
        .choices(["pending", "approved", "denied", "executed", "expired"]),
    )
    .action(ctx.action(async (opts: { state?: string }, cmd: Command) => {
      const qs = opts.state === undefined ? "" : `?state=${opts.state}`;
      const res = await ctx.withApi(
        cmd,
        (api) => api.call<{ items: ApprovalJson[] }>("GET", `/api/v1/approvals${qs}`),
      );
      if (ctx.json(cmd)) return ctx.printJson(res.body);
      if (res.body.items.length === 0) ctx.out.line(ctx.style.dim("no approvals"));
      else ctx.out.line(approvalTable(res.body.items, ctx.style));
    }));
}
