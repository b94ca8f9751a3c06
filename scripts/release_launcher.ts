/**
 * The permission step of the release folder's `ferrohsm` script, bundled there as
 * `launcher.js`: prints the `deno run` permission flags for one `ferrohsm` command, one
 * flag per line, and the script then `exec`s `deno run <flags> ferrohsm.js <command>`.
 *
 * `serve` gets exactly what `src/cli/permissions.ts` derives from its flags (the same
 * code `deno task serve` uses), rooted at the release folder. Every other command gets
 * the bounded set of `deno task cli`: no subprocesses, FFI only for the libSQL addon.
 * This step itself runs with `--allow-read --allow-env` only and never reads keys.
 */

import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseServeConfig } from "../src/config/config.ts";
import { libsqlAddonPath, servePermissions } from "../src/cli/permissions.ts";

/** libSQL's loader queries these host facts (glibc detection). */
const LIBSQL_SYS = "cpus,networkInterfaces,hostname";

/** The flags of commands other than `serve` (the `deno task cli` set, FFI narrowed). */
export function cliPermissions(root: string): string[] {
  const addon = libsqlAddonPath(root);
  return [
    "--no-prompt",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-net",
    addon === undefined ? "--allow-ffi" : `--allow-ffi=${addon}`,
    `--allow-sys=${LIBSQL_SYS}`,
  ];
}

/**
 * The `deno run` flags for `ferrohsm <args>` in the release folder at `root`.
 * @throws the config parser's error for invalid `serve` flags
 */
export function releasePermissions(args: readonly string[], root: string): string[] {
  const [command, ...rest] = args;
  if (command !== "serve") return cliPermissions(root);
  return servePermissions(parseServeConfig(rest), root);
}

function write(stream: typeof Deno.stdout, text: string): void {
  stream.writeSync(new TextEncoder().encode(text));
}

function main(args: string[]): number {
  const root = dirname(fileURLToPath(import.meta.url));
  let flags: string[];
  try {
    flags = releasePermissions(args, root);
  } catch (err) {
    write(Deno.stderr, `ferrohsm: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  if (flags.some((flag) => flag.includes("\n"))) {
    write(Deno.stderr, "ferrohsm: Cannot launch: a path contains a newline\n");
    return 2;
  }
  if (Deno.env.get("FERROHSM_PRINT_PERMISSIONS") === "1") {
    write(Deno.stderr, `${flags.join(" ")}\n`);
  }
  write(Deno.stdout, `${flags.join("\n")}\n`);
  return 0;
}

if (import.meta.main) Deno.exit(main(Deno.args));
