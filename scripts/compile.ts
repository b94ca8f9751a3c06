/**
 * `deno task compile`: one self-contained `ferrohsm` executable (server and CLI) with
 * `deno compile`, embedding `migrations/` and `static/`.
 *
 * Permissions of a compiled binary are fixed at compile time: it cannot derive them per
 * run from its flags the way `deno task serve` and the release folder's launcher do
 * (`src/cli/permissions.ts`). The binary therefore embeds a broad but bounded set:
 * read/write anywhere the process user may (the data dir is chosen at run time), any
 * network address (the listen address is too), only `FERROHSM_*`, `LIBSQL_JS_DEV` and the
 * `yaml` parser's two debug variables, FFI (the libSQL addon is extracted to a path
 * unknown at compile time), the three host facts libSQL queries, and no subprocesses.
 * Without subprocesses (and without a `deno` binary) there are no policy sandbox
 * children: a compiled binary denies every request a policy script applies to (fail
 * closed, cause `unavailable`). Confine it further with the systemd unit in `deploy/`, or
 * prefer the release folder, which keeps exact permissions and runs policies.
 *
 * `deno compile` downloads its `denort` base binary from Deno's download server (or uses
 * `DENORT_BIN`); without either it fails, and this script exits with its status.
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root. */
const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** The permissions baked into the compiled binary. */
export const COMPILE_PERMISSIONS: readonly string[] = [
  "--no-prompt",
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env=FERROHSM_*,LIBSQL_JS_DEV,LOG_TOKENS,LOG_STREAM",
  "--allow-ffi",
  "--allow-sys=cpus,networkInterfaces,hostname",
];

/** The full `deno compile` argument list producing `output` (`static/` when present). */
export function compileArgs(output: string, withStatic = true): string[] {
  return [
    "compile",
    "--frozen-lockfile",
    ...COMPILE_PERMISSIONS,
    "--include",
    "migrations",
    ...(withStatic ? ["--include", "static"] : []),
    "--output",
    output,
    "main.ts",
  ];
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs `deno compile` from the project root; resolves to its exit code. */
export async function compileBinary(output: string): Promise<number> {
  // git keeps no empty folders: a checkout without static assets has no static/.
  const status = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(output, exists(join(ROOT, "static"))),
    cwd: ROOT,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  return status.code;
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--output");
  const output = at >= 0 ? Deno.args[at + 1] : join(ROOT, "dist", "ferrohsm");
  if (output === undefined) {
    Deno.stderr.writeSync(new TextEncoder().encode("compile: --output needs a path\n"));
    Deno.exit(2);
  }
  Deno.exit(await compileBinary(output));
}
