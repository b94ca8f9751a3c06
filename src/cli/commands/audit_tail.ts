/**
 * `ferrohsm audit tail [--after-seq N] [--limit N] [--follow [--follow-timeout S]]`:
 * the newest audit entries (or those after N); `--follow` polls every second for new
 * ones until interrupted or until the timeout. With `--json`, one page prints the
 * API's JSON; `--follow` prints one entry per line (JSON lines).
 */

import type { Command } from "commander";
import type { ApiClient } from "../api_client.ts";
import type { CliContext } from "../context.ts";
import { intAtLeast, positiveInt } from "../parsers.ts";
import { auditTable } from "../render.ts";
import type { AuditEntryJson } from "../../contract/audit.ts";

interface TailOptions {
  readonly afterSeq?: number;
  readonly limit: number;
  readonly follow?: boolean;
  readonly followTimeout?: number;
}

const POLL_MS = 1000;
const PAGE_MAX = 1000;

/** Registers `audit tail` under `parent`. */
export function auditTailCommand(parent: Command, ctx: CliContext): void {
  parent.command("tail")
    .description("Show the newest audit entries; --follow keeps polling for new ones")
    .option("--after-seq <n>", "show entries after this sequence number", intAtLeast(0))
    .option("--limit <n>", "how many entries (at most 1000)", positiveInt, 20)
    .option("--follow", "keep polling every second for new entries")
    .option("--follow-timeout <seconds>", "stop following after this many seconds", positiveInt)
    .action(ctx.action(async (opts: TailOptions, cmd: Command) => {
      await ctx.withApi(cmd, async (api) => {
        const json = ctx.json(cmd);
        let after = opts.afterSeq ?? Math.max(0, (await headSeq(api)) - opts.limit);
        let header = true;
        const show = (items: readonly AuditEntryJson[]) => {
          if (json) { for (const e of items) ctx.printJson(e); }
          else if (items.length > 0) {
            ctx.out.line(auditTable(items, ctx.style, header));
            header = false;
          }
          after = items.at(-1)?.seq ?? after;
        };
        const first = await page(api, after, Math.min(opts.limit, PAGE_MAX));
        if (opts.follow !== true) {
          if (json) ctx.printJson({ items: first });
          else if (first.length === 0) ctx.out.line(ctx.style.dim("no audit entries"));
          else show(first);
          return;
        }
        show(first);
        const deadline = opts.followTimeout === undefined
          ? Infinity
          : Date.now() + opts.followTimeout * 1000;
        while (Date.now() < deadline) {
          await sleep(Math.min(POLL_MS, deadline - Date.now()));
          let items: AuditEntryJson[];
          do {
            items = await page(api, after, PAGE_MAX);
            show(items);
          } while (items.length === PAGE_MAX);
        }
      });
    }));
}

async function page(api: ApiClient, after: number, limit: number): Promise<AuditEntryJson[]> {
  const res = await api.call<{ items: AuditEntryJson[] }>(
    "GET",
    `/api/v1/audit?after_seq=${after}&limit=${limit}`,
  );
  return res.body.items;
}

/** The newest sequence number, from the health document (0 when it does not say). */
async function headSeq(api: ApiClient): Promise<number> {
  try {
    const res = await api.send("GET", "/healthz");
    const body = await res.json() as { audit_head_seq?: unknown };
    return typeof body.audit_head_seq === "number" ? body.audit_head_seq : 0;
  } catch {
    return 0;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
