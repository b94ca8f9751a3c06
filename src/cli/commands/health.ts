/**
 * `ferrohsm health`: prints the server's health document (`GET /healthz`); exit 0 when
 * its status is "ok", 1 otherwise (degraded, unreachable, or any HTTP error).
 */

import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { errorFrom } from "../api_client.ts";
import { details } from "../render.ts";
import { escapeControls } from "../terminal_text.ts";
import { EXIT } from "../../server/startup_error.ts";

/** Registers `health` under `parent`. */
export function healthCommand(parent: Command, ctx: CliContext): void {
  parent.command("health")
    .description("Print the server's health; exit 1 when it is not ok")
    .action(ctx.action(async (_opts: unknown, cmd: Command) => {
      const { res, text } = await ctx.withApi(cmd, async (api) => {
        const res = await api.send("GET", "/healthz");
        return { res, text: await res.text() };
      });
      let doc: Record<string, unknown>;
      try {
        doc = JSON.parse(text);
      } catch {
        throw errorFrom(res, text);
      }
      if (typeof doc !== "object" || doc === null || typeof doc.status !== "string") {
        throw errorFrom(res, text);
      }
      if (ctx.json(cmd)) ctx.printJson(doc);
      else {
        const s = ctx.style;
        const show = (k: string, v: unknown): string =>
          k === "status"
            ? (v === "ok" ? s.green : s.red)(escapeControls(String(v)))
            : escapeControls(typeof v === "object" && v !== null ? JSON.stringify(v) : String(v));
        ctx.out.line(
          details(Object.entries(doc).map(([k, v]) => [escapeControls(k), show(k, v)]), s),
        );
      }
      return res.ok && doc.status === "ok" ? EXIT.ok : EXIT.failure;
    }));
}
