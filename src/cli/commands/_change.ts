/**
 * Shared rendering for lifecycle changes whose answer is either the key (done) or an
 * approval (202: waiting for a second administrator).
 */

import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { approvalDetails, keyDetails } from "../render.ts";
import { escapeControls } from "../terminal_text.ts";
import type { KeyJson } from "../../contract/keys.ts";
import { Approval, type ApprovalJson } from "../../contract/approvals.ts";

/** True when the answer is an approval (the change waits for approvers). */
function isApproval(body: unknown): body is ApprovalJson {
  return Approval.safeParse(body).success;
}

/** Prints a key or an approval answer (or the JSON with `--json`). */
export function renderChange(ctx: CliContext, cmd: Command, body: unknown): void {
  if (ctx.json(cmd)) return ctx.printJson(body);
  if (isApproval(body)) {
    ctx.out.line(
      escapeControls(`Approval required (${body.approvals.length}/${body.quorum} approvals):`),
    );
    ctx.out.line(approvalDetails(body, ctx.style));
    return;
  }
  ctx.out.line(keyDetails(body as KeyJson, ctx.style));
}
