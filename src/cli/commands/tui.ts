/**
 * `ferrohsm tui [--tui-config F]`: the interactive terminal UI (`src/tui/`), with the
 * same `--addr`/`--token`/`--cert`/`--key`/`--ca` options and environment as every
 * client command. Its command palette runs CLI command lines through this very
 * program, in-process, with output captured instead of printed.
 */

import type { Command } from "commander";
import type { CommandOutput, CommandRunner } from "../../tui/ui/palette.ts";
import { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import type { Output } from "../output.ts";

/** Runs `ferrohsm <args>` with `ctx`; resolves to the exit code (`run` in commands.ts). */
export type ProgramRunner = (args: string[], ctx: CliContext) => Promise<number>;

/** An Output that keeps what is written. */
function captureOutput(): Output & { bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  const encoder = new TextEncoder();
  return {
    isTerminal: false,
    color: false,
    write: (data) => void chunks.push(data.slice()),
    line: (text) => void chunks.push(encoder.encode(text + "\n")),
    text: (text) => void chunks.push(encoder.encode(text)),
    bytes: () => {
      const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      return out;
    },
  };
}

/** Registers `tui` under `parent`; the palette runs command lines with `runProgram`. */
export function tuiCommand(parent: Command, ctx: CliContext, runProgram: ProgramRunner): void {
  parent.command("tui")
    .description("Interactive terminal UI: keys, crypto, approvals, audit, health, command palette")
    .option("--tui-config <file>", "TUI config file (theme, key bindings)")
    .action(ctx.action(async (opts: { tuiConfig?: string }, cmd: Command) => {
      const g = ctx.globals(cmd);
      if ((g.cert === undefined) !== (g.key === undefined)) {
        throw new UsageError("--cert and --key must be given together");
      }
      const tls = [
        ...(g.cert === undefined || g.key === undefined ? [] : ["--cert", g.cert, "--key", g.key]),
        ...(g.ca === undefined ? [] : ["--ca", g.ca]),
      ];
      const run: CommandRunner = async (argv, connection): Promise<CommandOutput> => {
        const out = captureOutput();
        const err = captureOutput();
        const args = [
          "--addr",
          connection.addr,
          ...(connection.token === undefined ? [] : ["--token", connection.token]),
          ...tls,
          ...argv,
        ];
        const code = await runProgram(args, new CliContext(out, err));
        return { code, stdout: out.bytes(), stderr: err.bytes() };
      };
      // Loaded on demand: React and Ink read the environment at load time, which the
      // server's least-privilege permissions (main.ts serve) do not allow.
      const { startTui } = await import("../../tui/start_tui.ts");
      return await startTui({
        api: {
          addr: g.addr,
          token: g.token,
          ...(g.cert === undefined ? {} : { cert: await readPem(g.cert, "--cert") }),
          ...(g.key === undefined ? {} : { key: await readPem(g.key, "--key") }),
          ...(g.ca === undefined ? {} : { caCerts: [await readPem(g.ca, "--ca")] }),
        },
        configPath: opts.tuiConfig,
        run,
      });
    }));
}

async function readPem(path: string, flag: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    throw new UsageError(
      `Cannot read ${flag} file ${path}: ${err instanceof Error ? err.name : "error"}`,
    );
  }
}
