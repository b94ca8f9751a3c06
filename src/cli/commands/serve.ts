/**
 * `ferrohsm serve [flags]`: runs the server. The flags pass through untouched to
 * `parseServeConfig` (the launcher parses the same ones to derive permissions); bad
 * flags exit 2, start-up failures exit with their StartupError code (3 wrong master
 * key, 4 self-test). Prints `listening on URL` only once signal handlers are installed.
 */

import type { Command } from "commander";
import { envName, parseServeConfig, SERVE_FLAGS } from "../../config/config.ts";
import { loadServerConfig } from "../../config/config_files.ts";
import { printLine, stderrLogger } from "../../util/logger.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { EXIT } from "../../server/startup_error.ts";

/** Global client options that `serve` must not silently swallow. */
const CLIENT_OPTIONS = ["addr", "token", "json", "cert", "key", "ca"];

function flagHelp(): string {
  const lines = Object.entries(SERVE_FLAGS).map(([flag, spec]) =>
    `  --${flag}${spec.type === "string" ? " <value>" : ""}`.padEnd(34) + envName(flag)
  );
  return `\nFlags (each also read from its environment variable; see README):\n${
    lines.join("\n")
  }\n`;
}

/** Registers `serve` under `program` (the root command). */
export function serveCommand(program: Command, ctx: CliContext): void {
  program.command("serve")
    .description("Run the server (use `deno task serve` for least-privilege permissions)")
    .argument("[flags...]", "server flags, passed through")
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText("after", flagHelp)
    .action(ctx.action(async (_flags: string[], _opts: unknown, cmd: Command) => {
      const given = CLIENT_OPTIONS.find((o) => program.getOptionValueSource(o) === "cli");
      if (given !== undefined) throw new UsageError(`serve does not take --${given}`);
      let config;
      try {
        config = await loadServerConfig(parseServeConfig(cmd.args));
      } catch (err) {
        throw new UsageError(err instanceof Error ? err.message : String(err));
      }
      const log = stderrLogger();
      // Loaded on demand so client commands start fast.
      const { startServer } = await import("../../server/server.ts");
      const server = await startServer(config, log);
      const stop = () => {
        log.log("info", "shutting down");
        server.shutdown();
      };
      Deno.addSignalListener("SIGINT", stop);
      Deno.addSignalListener("SIGTERM", stop);
      // SIGHUP: reload the configuration files (a refused one is logged and changes
      // nothing) and pick up renewed certificate files now (or force an ACME renewal).
      Deno.addSignalListener("SIGHUP", () => {
        void server.reload();
        void server.reloadCertificates();
      });
      printLine(`listening on ${server.url}`);
      await server.finished;
      await server.shutdown();
      return EXIT.ok;
    }));
}
