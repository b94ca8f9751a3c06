/**
 * Shared pieces of the HTTP benchmarks (bench/http.ts, bench/soak.ts, bench/profile.ts):
 * a throw-away installation (root secrets, an HS256 keyset, tokens), starting a server
 * child through the launcher (or a bench-only entry with the launcher's permissions),
 * its RSS, and an inspector client. Re-exports bench/_wrk.ts (running wrk) and
 * bench/_report.ts (statistics, machine facts, Markdown).
 *
 * Caveats: benchmark code, not product code. Tokens are written to files in the temp
 * installation (mode 0600) and handed to wrk by path, never on a command line; the
 * installation is deleted at the end of a run.
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateDevKeyset, mintToken } from "../src/auth/token_mint.ts";
import type { Role } from "../src/access/rbac.ts";
import { parseServeConfig } from "../src/config/config.ts";
import { servePermissions } from "../src/cli/permissions.ts";
import { toHex } from "../src/core/encoding.ts";
import { readProc } from "./_report.ts";

export * from "./_report.ts";
export * from "./_wrk.ts";

/** The project root. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** A throw-away installation for one benchmark run. */
export interface BenchInstallation {
  readonly dir: string;
  readonly dataDir: string;
  readonly masterKeyFile: string;
  readonly hmacKeyFile: string;
  readonly keysetFile: string;
  /** Mints a token (HS256, ttl ≤ 300 s) for `sub` with `roles`. */
  token(sub: string, roles: readonly Role[], ttl?: number): Promise<string>;
  /** Mints a token and writes it to a fresh 0600 file; returns the path. */
  tokenFile(sub: string, roles: readonly Role[]): Promise<string>;
  /** Writes `text` to a file in the installation; returns the path. */
  writeFile(name: string, text: string): Promise<string>;
  /** The serve flags for this installation plus `extra`. */
  flags(extra?: readonly string[]): string[];
  cleanup(): Promise<void>;
}

/** Creates a fresh installation in a temp dir. */
export async function makeBenchInstallation(prefix = "ferrohsm-bench-"): Promise<
  BenchInstallation
> {
  const dir = await Deno.makeTempDir({ prefix });
  const dataDir = join(dir, "data");
  const masterKeyFile = join(dir, "master.key");
  const hmacKeyFile = join(dir, "hmac.key");
  const keysetFile = join(dir, "jwks.json");
  await Deno.writeTextFile(masterKeyFile, toHex(crypto.getRandomValues(new Uint8Array(32))), {
    mode: 0o600,
  });
  await Deno.writeTextFile(hmacKeyFile, toHex(crypto.getRandomValues(new Uint8Array(32))), {
    mode: 0o600,
  });
  const { jwks } = generateDevKeyset();
  await Deno.writeTextFile(keysetFile, JSON.stringify(jwks), { mode: 0o600 });
  let files = 0;
  const writeFile = async (name: string, text: string) => {
    const path = join(dir, `${++files}-${name}`);
    await Deno.writeTextFile(path, text, { mode: 0o600 });
    return path;
  };
  const token = (sub: string, roles: readonly Role[], ttl = 300) =>
    mintToken(jwks, { sub, roles, ttl });
  return {
    dir,
    dataDir,
    masterKeyFile,
    hmacKeyFile,
    keysetFile,
    token,
    tokenFile: async (sub, roles) => writeFile("token", await token(sub, roles)),
    writeFile,
    flags: (extra = []) => [
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
      "--master-key-file",
      masterKeyFile,
      "--hmac-key-file",
      hmacKeyFile,
      "--jwt-keyset",
      keysetFile,
      ...extra,
    ],
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

/** A server child process. */
export interface ServerChild {
  readonly url: string;
  /** The pid of the process that serves (the launcher's child when launched). */
  readonly serverPid: number;
  /** Resident set size of the serving process now and at its peak, in bytes. */
  rss(): Promise<{ rss: number; peak: number }>;
  /** Everything the process printed on stderr so far. */
  stderr(): string;
  /** SIGTERM, then waits for exit; returns the exit code. */
  stop(): Promise<number>;
}

/** How to start a server for a benchmark. */
export interface StartOptions {
  /**
   * `launcher` (default): `src/cli/launch.ts serve`, the production path with its derived
   * permissions. Otherwise the path of a bench-only entry run with the same permissions.
   */
  readonly entry?: string;
  /** Extra arguments for a bench-only entry (after the serve flags and `--`). */
  readonly entryArgs?: readonly string[];
  /** Permissions for a bench-only entry; default: derived from `flags` like the launcher. */
  readonly permissions?: readonly string[];
  /** Extra `deno run` flags (e.g. `--inspect=127.0.0.1:9229`), bench-only entries only. */
  readonly denoFlags?: readonly string[];
}

/** Starts a server with `flags`; resolves once it prints `listening on`. */
export async function startServer(
  flags: readonly string[],
  options: StartOptions = {},
): Promise<ServerChild> {
  let args: string[];
  if (options.entry === undefined) {
    args = ["run", "--no-prompt", "--allow-read", "--allow-env", "--allow-run"];
    args.push(join(ROOT, "src/cli/launch.ts"), "serve", ...flags);
  } else {
    const permissions = options.permissions ?? servePermissions(parseServeConfig(flags));
    args = ["run", ...permissions, ...(options.denoFlags ?? []), options.entry, ...flags];
    if (options.entryArgs !== undefined) args.push("--", ...options.entryArgs);
  }
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
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
      const { done } = await reader.read();
      if (done) break;
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
    rss: () => readRss(serverPid),
    stderr: () => err,
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

/** VmRSS and VmHWM of a process, in bytes (Linux /proc/<pid>/status). */
export async function readRss(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readProc(`/proc/${pid}/status`);
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return { rss: kib("VmRSS") * 1024, peak: kib("VmHWM") * 1024 };
}

/** A Chrome DevTools protocol session (bench/profile.ts, bench/soak.ts). */
export interface InspectorSession {
  send(method: string, params?: Record<string, unknown>): Promise<unknown>;
  close(): void;
}

/** The inspector WebSocket URL a process started with `--inspect` printed on stderr. */
export function inspectorUrl(stderr: string): string {
  const url = /ws:\/\/\S+/.exec(stderr)?.[0];
  if (url === undefined) throw new Error(`no inspector URL in:\n${stderr}`);
  return url;
}

/** A minimal Chrome DevTools protocol client over the inspector WebSocket. */
export async function inspector(url: string): Promise<InspectorSession> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let next = 0;
  const pending = new Map<number, (v: unknown) => void>();
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data as string) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  };
  return {
    send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
      const id = ++next;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve) => pending.set(id, resolve));
    },
    close: () => ws.close(),
  };
}
