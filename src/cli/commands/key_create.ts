/**
 * `ferrohsm key create --name N --algorithm A [--usage u,u] [--tag k=v ...]
 * [--dual-control]`: generates a key on the server. Shows a spinner on a terminal while
 * slow generations (RSA-4096) run. A dual-control key comes back staged with its
 * approval (202).
 */

import { type Command, Option } from "commander";
import { ALGORITHM_NAMES, USAGE_NAMES } from "../../domain/algorithms.ts";
import type { CliContext } from "../context.ts";
import { collectTag, listOf } from "../parsers.ts";
import { withSpinner } from "../progress.ts";
import { approvalDetails, keyDetails } from "../render.ts";
import type { ApprovalJson } from "../../contract/approvals.ts";
import type { KeyJson } from "../../contract/keys.ts";

interface CreateOptions {
  readonly name: string;
  readonly algorithm: string;
  readonly usage?: string[];
  readonly tag?: Record<string, string>;
  readonly dualControl?: boolean;
}

type Created = KeyJson | { key: KeyJson; approval: ApprovalJson };

/** Registers `key create` under `parent`. */
export function keyCreateCommand(parent: Command, ctx: CliContext): void {
  parent.command("create")
    .description("Generate a new key")
    .requiredOption("--name <name>", "key name")
    .addOption(
      new Option("--algorithm <algorithm>", "key algorithm").choices(ALGORITHM_NAMES)
        .makeOptionMandatory(),
    )
    .option(
      "--usage <usages>",
      `comma-separated usages (${USAGE_NAMES.join(", ")}); default by algorithm`,
      listOf(USAGE_NAMES),
    )
    .option("--tag <key=value>", "a tag (repeatable)", collectTag)
    .option("--dual-control", "keep the key staged until a second administrator approves")
    .action(ctx.action(async (opts: CreateOptions, cmd: Command) => {
      const body = {
        name: opts.name,
        algorithm: opts.algorithm,
        ...(opts.usage === undefined ? {} : { usage: opts.usage }),
        ...(opts.tag === undefined ? {} : { tags: opts.tag }),
        ...(opts.dualControl === true ? { dual_control: true } : {}),
      };
      const res = await ctx.withApi(cmd, (api) =>
        withSpinner(
          ctx.err,
          `Generating ${opts.algorithm} key`,
          api.call<Created>("POST", "/api/v1/keys", body),
        ));
      if (ctx.json(cmd)) return ctx.printJson(res.body);
      if ("approval" in res.body) {
        ctx.out.line(keyDetails(res.body.key, ctx.style));
        ctx.out.line("");
        ctx.out.line("Activation needs approval:");
        ctx.out.line(approvalDetails(res.body.approval, ctx.style));
      } else {
        ctx.out.line(keyDetails(res.body, ctx.style));
      }
    }));
}
