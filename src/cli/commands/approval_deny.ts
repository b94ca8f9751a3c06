/**
 * `ferrohsm approval deny ID`: denies a dual-control request.
 */

import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { approvalDetails } from "../render.ts";
import type { ApprovalJson } from "../../contract/approvals.ts";

/** Registers `approval deny` under `parent`. */
export function approvalDenyCommand(parent: Command, ctx: CliContext): void {
  parent.command("deny")
    .description("Deny a request")
    .argument("<id>", "approval id")
    .action(ctx.action(async (id: string, _opts: unknown, cmd: Command) => {
      const path = `/api/v1/approvals/${encodeURIComponent(id)}/deny`;
      const res = await ctx.withApi(cmd, (api) => api.call<ApprovalJson>("POST", path));
      if (ctx.json(cmd)) return ctx.printJson(res.body);
      ctx.out.line(approvalDetails(res.body, ctx.style));
    }));
}
