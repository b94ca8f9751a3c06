/**
 * What every `ferrohsm` command shares: the exit code it sets, stdout/stderr, the
 * global options (`--addr`, `--token`, `--json`, `--cert`/`--key`, `--ca`) and the API
 * client built from them. Commands stay thin: parse → HTTP call → render.
 */

import type { Command } from "commander";
import { ApiClient } from "./api_client.ts";
import { UsageError } from "./errors.ts";
import { type Output, streamOutput } from "./output.ts";
import { type Style, style } from "./render.ts";

/** The options every command accepts (declared on the program). */
export interface GlobalOptions {
  readonly addr: string;
  readonly token?: string;
  readonly json?: boolean;
  readonly cert?: string;
  readonly key?: string;
  readonly ca?: string;
}

/** Default server address. */
export const DEFAULT_ADDR = "http://127.0.0.1:8443";

/** Shared state and helpers of one CLI run. */
export class CliContext {
  /** Results. */
  readonly out: Output;
  /** Errors and progress. */
  readonly err: Output;
  /** The exit code the run ends with (set by the command's action). */
  exitCode = 0;

  constructor(out: Output = streamOutput(Deno.stdout), err: Output = streamOutput(Deno.stderr)) {
    this.out = out;
    this.err = err;
  }

  /** Wraps a command body: its returned number (default 0) becomes the exit code. */
  action<A extends unknown[]>(
    body: (...args: A) => Promise<number | void>,
  ): (...args: A) => Promise<void> {
    return async (...args: A) => {
      this.exitCode = (await body(...args)) ?? 0;
    };
  }

  /** The global options as seen from `cmd`. */
  globals(cmd: Command): GlobalOptions {
    return cmd.optsWithGlobals<GlobalOptions>();
  }

  /** True when `--json` was given. */
  json(cmd: Command): boolean {
    return this.globals(cmd).json === true;
  }

  /** Colours for stdout (plain when stdout is not a terminal). */
  get style(): Style {
    return style(this.out.color);
  }

  /** Prints `value` as one line of JSON. */
  printJson(value: unknown): void {
    this.out.line(JSON.stringify(value));
  }

  /**
   * Runs `body` with an API client built from the global options, closing it after.
   * @throws UsageError for --cert without --key (or the reverse)
   */
  async withApi<T>(cmd: Command, body: (api: ApiClient) => Promise<T>): Promise<T> {
    const g = this.globals(cmd);
    if ((g.cert === undefined) !== (g.key === undefined)) {
      throw new UsageError("--cert and --key must be given together");
    }
    const api = new ApiClient({
      addr: g.addr,
      token: g.token,
      ...(g.cert === undefined ? {} : { cert: await readPem(g.cert, "--cert") }),
      ...(g.key === undefined ? {} : { key: await readPem(g.key, "--key") }),
      ...(g.ca === undefined ? {} : { caCerts: [await readPem(g.ca, "--ca")] }),
    });
    try {
      return await body(api);
    } finally {
      api.close();
    }
  }
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
