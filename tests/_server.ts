/**
 * Starts the real server as a child process through the launcher (so it runs with the
 * derived least-privilege permissions), waits for its `listening on` line, and offers a
 * small JSON client. Every test that uses it stops the server in a `finally`.
 */

import { fileURLToPath } from "node:url";

/** Path of the project root. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** A server child process. */
export interface ServerProcess {
  readonly url: string;
  /** Everything the process printed on stdout so far. */
  stdout(): string;
  /** Sends SIGTERM and waits for exit; returns the exit code. */
  stop(): Promise<number>;
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
  flags: string[],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-env",
      "--allow-run",
      "src/cli/launch.ts",
      "serve",
      ...flags,
    ],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const dec = new TextDecoder();
  const errDone = (async () => {
    for await (const chunk of child.stderr) err += dec.decode(chunk, { stream: true });
  })();
  const reader = child.stdout.getReader();
  const deadline = Date.now() + 60_000;
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
      out += dec.decode(value, { stream: true });
    }
  })();
  return {
    url,
    stdout: () => out,
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
  return {
    method,
    headers: {
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
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
