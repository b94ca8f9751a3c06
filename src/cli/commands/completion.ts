/**
 * `ferrohsm completion bash|zsh`: prints a completion script for the whole command
 * tree (see `../completion.ts`).
 */

import { Argument, type Command } from "commander";
import { completionScript, type Shell } from "../completion.ts";
import type { CliContext } from "../context.ts";

/** Registers `completion` under `program`. */
export function completionCommand(program: Command, ctx: CliContext): void {
  program.command("completion")
    .description("Print a shell completion script (bash or zsh)")
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh"]))
    .addHelpText("after", "\nExample: source <(ferrohsm completion bash)\n")
    .action(ctx.action(async (shell: Shell) => {
      ctx.out.text(completionScript(program, shell));
      return await Promise.resolve();
    }));
}
