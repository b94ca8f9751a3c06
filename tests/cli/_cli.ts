/**
 * Helpers for CLI tests: run `main.ts` as a subprocess (optionally feeding stdin and
 * keeping stdout as bytes) with the address and token of a test server.
 */

import { ROOT } from "../../testing/server_process.ts";

/** The permissions a CLI run needs (as `deno task cli`). */
export const CLI_PERMISSIONS = [
  "--no-prompt",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-ffi",
  "--allow-sys",
];

/** The result of a CLI run with stdout kept as bytes. */
export interface CliBytesResult {
  readonly code: number;
  readonly stdout: Uint8Array;
  readonly stderr: string;
}

/** Runs `main.ts <args>` with `input` on stdin. */
export async function runCliWithInput(
  args: string[],
  input: Uint8Array | string,
  env: Record<string, string> = {},
): Promise<CliBytesResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...CLI_PERMISSIONS, "main.ts", ...args],
    cwd: ROOT,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(typeof input === "string" ? new TextEncoder().encode(input) : input);
  await writer.close();
  const out = await child.output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}
