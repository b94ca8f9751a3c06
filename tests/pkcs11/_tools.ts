/**
 * End-to-end helpers: the Debian client side (p11-kit-client.so, pkcs11-tool, openssl
 * and libp11's engine), detection of whether they are installed, and a real FerroHSM
 * server process serving a PKCS#11 socket in a private directory.
 */

import { join } from "node:path";
import { type Installation, makeInstallation } from "../../testing/installation.ts";
import {
  type ApiCall,
  client,
  type ServerProcess,
  startServerProcess,
} from "../../testing/server_process.ts";

/** Debian 12's p11-kit RPC client module. */
export const P11_CLIENT = "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so";
/** libp11's OpenSSL 3 engine (Debian package libengine-pkcs11-openssl). */
export const PKCS11_ENGINE = "/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so";

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function runs(cmd: string, args: string[]): Promise<boolean> {
  try {
    await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

/** True when p11-kit-modules, opensc (pkcs11-tool) and openssl are installed. */
export const HAS_PKCS11_TOOLS = exists(P11_CLIENT) && await runs("pkcs11-tool", ["--help"]) &&
  await runs("openssl", ["version"]);

/** True when libengine-pkcs11-openssl is installed too. */
export const HAS_PKCS11_ENGINE = HAS_PKCS11_TOOLS && exists(PKCS11_ENGINE);

/** Suffix for test names when the Debian packages are missing. */
export function skipNote(engine = false): string {
  const ok = engine ? HAS_PKCS11_ENGINE : HAS_PKCS11_TOOLS;
  const packages = "p11-kit p11-kit-modules opensc openssl" +
    (engine ? " libengine-pkcs11-openssl" : "");
  return ok ? "" : ` (skipped: apt-get install ${packages})`;
}

/** The outcome of a command. */
export interface ToolResult {
  readonly code: number;
  readonly stdout: Uint8Array;
  /** stdout and stderr as text. */
  readonly text: string;
}

/** Runs a command with `env` added, `stdin` piped in when given. */
export async function tool(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
  stdin?: Uint8Array,
): Promise<ToolResult> {
  const child = new Deno.Command(cmd, {
    args,
    env,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: out.stdout,
    text: dec.decode(out.stdout) + dec.decode(out.stderr),
  };
}

/** A server process with a PKCS#11 socket, an admin API client and tokens. */
export interface Pkcs11World {
  readonly inst: Installation;
  readonly server: ServerProcess;
  readonly socket: string;
  /** Scratch directory for files of the test. */
  readonly work: string;
  readonly adminToken: string;
  readonly api: ApiCall;
  /** Environment pointing the p11-kit client at the socket. */
  readonly env: Record<string, string>;
  /** `pkcs11-tool --module p11-kit-client.so <args>`. */
  pkcs11Tool(args: string[]): Promise<ToolResult>;
  stop(): Promise<void>;
}

/** Starts a server with `--pkcs11-socket` in a 0700 directory. */
export async function startPkcs11World(): Promise<Pkcs11World> {
  const inst = await makeInstallation();
  const run = join(inst.dir, "run");
  const work = join(inst.dir, "work");
  await Deno.mkdir(run, { mode: 0o700 });
  await Deno.mkdir(work);
  const socket = join(run, "p11.sock");
  let server: ServerProcess;
  try {
    server = await startServerProcess(inst.flags(["--pkcs11-socket", socket]));
  } catch (err) {
    await inst.cleanup();
    throw err;
  }
  const adminToken = await inst.token("alice", ["Administrator"]);
  const env = { P11_KIT_SERVER_ADDRESS: `unix:path=${socket}` };
  return {
    inst,
    server,
    socket,
    work,
    adminToken,
    api: client(server.url, adminToken),
    env,
    pkcs11Tool: (args) => tool("pkcs11-tool", ["--module", P11_CLIENT, ...args], env),
    async stop() {
      await server.stop();
      await inst.cleanup();
    },
  };
}

/** The hex CKA_ID of a key id (its UTF-8 bytes), as pkcs11-tool's `--id` takes it. */
export function hexId(id: string): string {
  return Array.from(new TextEncoder().encode(id), (b) => b.toString(16).padStart(2, "0")).join("");
}
