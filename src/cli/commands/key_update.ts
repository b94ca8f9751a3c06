/**
 * `ferrohsm key update ID [--rotation-period P90D|none] [--min-decryption-version N]
 * [--tag k=v ...]`: changes a key's settings (`PATCH /keys/:id`). `--tag` replaces the
 * whole tag set; `--rotation-period none` removes the period.
 */

import type { Command } from "commander";
import type { KeyJson } from "../../contract/keys.ts";
import { keyPath } from "../api_client.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { collectTag, positiveInt } from "../parsers.ts";
import { keyDetails } from "../render.ts";

interface UpdateOptions {
  readonly rotationPeriod?: string;
  readonly minDecryptionVersion?: number;
  readonly tag?: Record<string, string>;
}

/** Registers `key update` under `parent`. */
export function keyUpdateCommand(parent: Command, ctx: CliContext): void {
  parent.command("update")
    .description("Change a key's tags, rotation period or minimum decryption version")
    .argument("<id>", "key id")
    .option("--rotation-period <duration>", "ISO 8601 duration such as P90D, or none")
    .option(
      "--min-decryption-version <n>",
      "refuse decrypt/verify with older versions (only moves up)",
      positiveInt,
    )
    .option("--tag <key=value>", "the new tags (repeatable; replaces all tags)", collectTag)
    .action(ctx.action(async (id: string, opts: UpdateOptions, cmd: Command) => {
      const body = {
        ...(opts.rotationPeriod === undefined
          ? {}
          : { rotation_period: opts.rotationPeriod === "none" ? null : opts.rotationPeriod }),
        ...(opts.minDecryptionVersion === undefined
          ? {}
          : { min_decryption_version: opts.minDecryptionVersion }),
        ...(opts.tag === undefined ? {} : { tags: opts.tag }),
      };
      if (Object.keys(body).length === 0) {
        throw new UsageError(
          "Nothing to change: give --rotation-period, --min-decryption-version or --tag",
        );
      }
      const res = await ctx.withApi(cmd, (api) => api.call<KeyJson>("PATCH", keyPath(id), body));
      if (ctx.json(cmd)) return ctx.printJson(res.body);
      ctx.out.line(keyDetails(res.body, ctx.style));
    }));
}
