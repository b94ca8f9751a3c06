/**
 * `ferrohsm approval approve ID`: approves a dual-control request; when the quorum is
 * met the server runs the action (e.g. destroys the key). The requester can never
 * approve its own request.
 */

import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { approvalDetails } from "../render.ts";
import type { ApprovalJson } from "../../contract/approvals.ts";

/** Registers `approval approve` under `parent`. */
export function approvalApproveCommand(parent: Command, ctx: CliContext): void {
  parent.command("approve")
    .description("Approve a request; the action runs once the quorum is met")
    .argument("<id>", "approval id")
    .action(ctx.action(async (id: string, _opts: unknown, cmd: Command) => {
      const path = `/api/v1/approvals/${encodeURIComponent(id)}/approve`;
      const res = await ctx.withApi(cmd, (api) => api.call<ApprovalJson>("POST", path));
      if (ctx.json(cmd)) return ctx.printJson(res.body);
      ctx.out.line(approvalDetails(res.body, ctx.style));
    }));
}
