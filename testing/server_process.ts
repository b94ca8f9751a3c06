/**
 * Starts the real server as a child process through the launcher (so it runs with the
 * derived least-privilege permissions), or a bench-only entry with the same
 * permissions; waits for its `listening on` line; offers its RSS, a small JSON client,
 * and helpers to run the CLI. Shared by the tests and the benchmarks; every caller stops
 * the server in a `finally`.
 */

import { fileURLToPath } from "node:url";
import { servePermissions } from "../src/cli/permissions.ts";
import { parseServeConfig } from "../src/config/config.ts";

/** Path of the project root. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** A server child process. */
export interface ServerProcess {
  readonly url: string;
  /** The pid of the process that serves (the launcher's child when launched). */
  readonly serverPid: number;
  /** Everything the process printed on stdout so far. */
  stdout(): string;
  /** Everything the process printed on stderr so far (the last MB at most). */
  stderr(): string;
  /** Resident set size of the serving process now and at its peak, in bytes. */
  rss(): Promise<{ rss: number; peak: number }>;
  /** Sends SIGTERM and waits for exit; returns the exit code. */
  stop(): Promise<number>;
}

/** How to start a server. */
export interface StartOptions {
  /**
   * Default: `src/cli/launch.ts serve`, the production path with its derived
   * permissions. Otherwise the path of a bench-only entry run with the same permissions.
   */
  readonly entry?: string;
  /** Extra arguments for a bench-only entry (after the serve flags and `--`). */
  readonly entryArgs?: readonly string[];
  /** Permissions for a bench-only entry; default: derived from `flags` like the launcher. */
  readonly permissions?: readonly string[];
  /** Extra `deno run` flags (e.g. `--inspect=127.0.0.1:9229`), bench-only entries only. */
  readonly denoFlags?: readonly string[];
  /** Environment variables for the child. */
  readonly env?: Record<string, string>;
}

/** The result of running a command to completion. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `deno <args>` from the project root and collects its output. */
export async function runDeno(
  args: string[],
  env: Record<string, string> = {},
): Promise<CommandResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs `main.ts <args>` as the CLI (all permissions a CLI run needs). */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return runDeno([
    "run",
    "--no-prompt",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-net",
    "--allow-ffi",
    "--allow-sys",
    "main.ts",
    ...args,
  ], env);
}

/** Launches `serve` with `flags`; resolves once it listens (rejects if it exits first). */
export async function startServerProcess(
  flags: readonly string[],
  options: StartOptions = {},
): Promise<ServerProcess> {
  let args: string[];
  if (options.entry === undefined) {
    args = ["run", "--no-prompt", "--allow-read", "--allow-env", "--allow-run"];
    args.push("src/cli/launch.ts", "serve", ...flags);
  } else {
    const permissions = options.permissions ?? servePermissions(parseServeConfig(flags));
    args = ["run", ...permissions, ...(options.denoFlags ?? []), options.entry, ...flags];
    if (options.entryArgs !== undefined) args.push("--", ...options.entryArgs);
  }
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: options.env ?? {},
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const dec = new TextDecoder();
  const errDone = (async () => {
    for await (const chunk of child.stderr) {
      err += dec.decode(chunk, { stream: true });
      if (err.length > 1_000_000) err = err.slice(-100_000);
    }
  })();
  const reader = child.stdout.getReader();
  const deadline = Date.now() + 120_000;
  let url: string | undefined;
  while (url === undefined) {
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not start in time; stderr:\n${err}`);
    }
    const { value, done } = await reader.read();
    if (done) {
      await errDone;
      const status = await child.status;
      throw new Error(`server exited with ${status.code} before listening; stderr:\n${err}`);
    }
    out += dec.decode(value, { stream: true });
    url = /listening on (\S+)/.exec(out)?.[1];
  }
  const outDone = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (out.length < 1_000_000) out += dec.decode(value, { stream: true });
    }
  })();
  let serverPid = child.pid;
  if (options.entry === undefined) {
    try {
      serverPid = await childPid(child.pid);
    } catch (e) {
      child.kill("SIGTERM");
      await child.status;
      throw e;
    }
  }
  return {
    url,
    serverPid,
    stdout: () => out,
    stderr: () => err,
    rss: () => readRss(serverPid),
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already exited
      }
      const status = await child.status;
      await Promise.all([outDone, errDone]);
      return status.code;
    },
  };
}

/** The pid of the only child of `pid` (the launcher spawns exactly one). */
async function childPid(pid: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const out = await new Deno.Command("ps", {
      args: ["-o", "pid=", "--ppid", String(pid)],
      stdout: "piped",
      stderr: "null",
    }).output();
    const first = new TextDecoder().decode(out.stdout).trim().split(/\s+/)[0];
    if (first !== undefined && first !== "") return Number(first);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`cannot find the server process under launcher ${pid}`);
}

/**
 * VmRSS and VmHWM of a process, in bytes (Linux /proc/<pid>/status). Deno 2.9 lets only
 * `--allow-all` read /proc: without it, `ps` gives the resident size (and the peak is
 * reported as that same value).
 */
export async function readRss(pid: number): Promise<{ rss: number; peak: number }> {
  let status: string;
  try {
    status = await Deno.readTextFile(`/proc/${pid}/status`);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotCapable)) throw err;
    const out = await new Deno.Command("ps", {
      args: ["-o", "rss=", "-p", String(pid)],
      stdout: "piped",
      stderr: "null",
    }).output();
    const rss = Number(new TextDecoder().decode(out.stdout).trim()) * 1024;
    return { rss, peak: rss };
  }
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return { rss: kib("VmRSS") * 1024, peak: kib("VmHWM") * 1024 };
}

/** The answer of one API call (`body` is parsed JSON, typed loosely for assertions). */
export interface ApiResponse {
  readonly status: number;
  // deno-lint-ignore no-explicit-any -- test assertions walk arbitrary JSON
  readonly body: any;
  readonly headers: Headers;
}

/** A JSON API call. */
export type ApiCall = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<ApiResponse>;

/** A minimal JSON API client bound to a server URL and token. */
export function client(url: string, token?: string): ApiCall {
  return async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse> {
    return await readResponse(
      await fetch(`${url}${path}`, jsonRequest(method, token, body, headers)),
    );
  };
}

/** Builds a JSON request with an optional bearer token (a string body is sent as is). */
export function jsonRequest(
  method: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): RequestInit {
  const text = body === undefined
    ? undefined
    : typeof body === "string"
    ? body
    : JSON.stringify(body);
  return {
    method,
    headers: {
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      // As an HTTP client sends them (in-process requests get no Content-Length otherwise).
      ...(text === undefined ? {} : {
        "Content-Type": "application/json",
        "Content-Length": String(new TextEncoder().encode(text).length),
      }),
      ...headers,
    },
    ...(text === undefined ? {} : { body: text }),
  };
}

/** Reads a response, parsing the body as JSON when it is JSON. */
export async function readResponse(res: Response): Promise<ApiResponse> {
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
