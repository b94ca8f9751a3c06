/**
 * FerroHSM entry point: `deno run <permissions> main.ts <command> ...` — the server and
 * the CLI in one program. See `src/cli/commands.ts` for the commands and exit codes.
 */

import { run } from "./src/cli/commands.ts";

if (import.meta.main) {
  Deno.exit(await run(Deno.args));
}
