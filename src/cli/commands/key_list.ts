/**
 * `ferrohsm key list [--page N] [--per-page N] [--algorithm A] [--state S] [--tag k:v]`:
 * one page of keys as a table (or the API's JSON).
 */

import { type Command, Option } from "commander";
import { ALGORITHM_NAMES } from "../../domain/algorithms.ts";
import type { CliContext } from "../context.ts";
import { positiveInt } from "../parsers.ts";
import { keyTable } from "../render.ts";
import type { KeyPageJson } from "../../contract/keys.ts";

interface ListOptions {
  readonly page?: number;
  readonly perPage?: number;
  readonly algorithm?: string;
  readonly state?: string;
  readonly tag?: string;
}

/** Registers `key list` under `parent`. */
export function keyListCommand(parent: Command, ctx: CliContext): void {
  parent.command("list")
    .description("List keys, one page at a time")
    .option("--page <n>", "page number (1-based)", positiveInt)
    .option("--per-page <n>", "keys per page (at most 100)", positiveInt)
    .addOption(
      new Option("--algorithm <algorithm>", "only this algorithm").choices(ALGORITHM_NAMES),
    )
    .addOption(
      new Option("--state <state>", "only this state")
        .choices(["staged", "active", "revoked", "destroyed"]),
    )
    .option("--tag <key:value>", "only keys with this tag")
    .action(ctx.action(async (opts: ListOptions, cmd: Command) => {
      const query = new URLSearchParams();
      if (opts.page !== undefined) query.set("page", String(opts.page));
      if (opts.perPage !== undefined) query.set("per_page", String(opts.perPage));
      if (opts.algorithm !== undefined) query.set("algorithm", opts.algorithm);
      if (opts.state !== undefined) query.set("state", opts.state);
      if (opts.tag !== undefined) query.set("tag", opts.tag);
      const qs = query.size === 0 ? "" : `?${query}`;
      const res = await ctx.withApi(
        cmd,
        (api) => api.call<KeyPageJson>("GET", `/api/v1/keys${qs}`),
      );
      if (ctx.json(cmd)) return ctx.printJson(res.body);
      const { items, page, per_page, total } = res.body;
      if (items.length > 0) ctx.out.line(keyTable(items, ctx.style));
      const pages = Math.max(1, Math.ceil(total / per_page));
      ctx.out.line(ctx.style.dim(`page ${page} of ${pages}, ${total} key(s)`));
    }));
}
