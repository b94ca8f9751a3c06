/**
 * How this program was started, so that the commands it prints (`init`'s serve line, the
 * token-minting hint) work the same way: `deno task serve ...` / `deno task cli ...` from
 * a checkout, `<folder>/ferrohsm serve ...` from a release folder (whose `ferrohsm`
 * script runs the bundled `ferrohsm.js`), `<binary> serve ...` for a compiled binary.
 */

import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The command prefixes for `serve` and for the other commands. */
export interface Invocation {
  /** e.g. `["deno", "task", "serve"]` or `["/opt/ferrohsm/ferrohsm", "serve"]`. */
  readonly serve: readonly string[];
  /** e.g. `["deno", "task", "cli"]` or `["/opt/ferrohsm/ferrohsm"]`. */
  readonly cli: readonly string[];
}

/** The facts the invocation is derived from (injectable for tests). */
export interface InvocationFacts {
  /** URL of the main module (`Deno.mainModule`). */
  readonly mainModule: string;
  /** True in a `deno compile` binary (`Deno.build.standalone`). */
  readonly standalone: boolean;
  /** The running executable (`Deno.execPath()`). */
  execPath(): string;
  /** True when `path` exists. */
  exists(path: string): boolean;
}

/** The name of the bundled program in a release folder (scripts/release.ts). */
const RELEASE_BUNDLE = "ferrohsm.js";
/** The launcher script beside it. */
const RELEASE_LAUNCHER = "ferrohsm";

/** How the running program was started. */
export function detectInvocation(facts: InvocationFacts = denoFacts()): Invocation {
  if (facts.standalone) {
    const binary = safe(() => facts.execPath()) ?? "ferrohsm";
    return { serve: [binary, "serve"], cli: [binary] };
  }
  const main = safe(() => fileURLToPath(facts.mainModule));
  if (main !== undefined && basename(main) === RELEASE_BUNDLE) {
    const launcher = join(dirname(main), RELEASE_LAUNCHER);
    const command = facts.exists(launcher) ? launcher : RELEASE_LAUNCHER;
    return { serve: [command, "serve"], cli: [command] };
  }
  return { serve: ["deno", "task", "serve"], cli: ["deno", "task", "cli"] };
}

/** Quotes `arg` for a POSIX shell when it holds anything but safe characters. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_/.,:=@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** A shell command line from a prefix and arguments. */
export function commandLine(prefix: readonly string[], args: readonly string[] = []): string {
  return [...prefix, ...args].map(shellQuote).join(" ");
}

function denoFacts(): InvocationFacts {
  return {
    mainModule: Deno.mainModule,
    standalone: Deno.build.standalone,
    execPath: () => Deno.execPath(),
    exists(path) {
      try {
        Deno.statSync(path);
        return true;
      } catch {
        return false;
      }
    },
  };
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
