/**
 * The launcher behind `deno task serve` / `deno task dev` (and the release `ferrohsm`
 * script): parses the serve flags with the server's own parser, derives the least
 * permission set, and runs `deno run <permissions> main.ts serve <flags>` as a child,
 * forwarding signals and the exit code. Other commands run with the permissions they
 * need (see README). The launcher itself never touches keys.
 */

import { join } from "node:path";
import { parseServeConfig } from "../config/config.ts";
import { PROJECT_ROOT, servePermissions } from "./permissions.ts";
import { EXIT } from "../server/startup_error.ts";

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command !== "serve") {
    Deno.stderr.writeSync(new TextEncoder().encode("launch: only `serve` is launched\n"));
    return EXIT.usage;
  }
  let permissions: string[];
  try {
    permissions = servePermissions(parseServeConfig(rest));
  } catch (err) {
    Deno.stderr.writeSync(
      new TextEncoder().encode(`ferrohsm: ${err instanceof Error ? err.message : err}\n`),
    );
    return EXIT.usage;
  }
  if (Deno.env.get("FERROHSM_PRINT_PERMISSIONS") === "1") {
    Deno.stdout.writeSync(new TextEncoder().encode(permissions.join(" ") + "\n"));
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, join(PROJECT_ROOT, "main.ts"), "serve", ...rest],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    Deno.addSignalListener(signal, () => child.kill(signal));
  }
  const status = await child.status;
  return status.code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
