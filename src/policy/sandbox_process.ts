/**
 * One permission-less sandbox child seen from the server: spawns `deno run --no-prompt`
 * with no `--allow-*` flag and an empty environment, waits for its `ready` frame, sends
 * one request at a time and arms a watchdog per request. When a reply does not arrive
 * within its budget the child is SIGKILLed: the QuickJS interrupt handler and heap cap
 * inside the child are best effort, the kill is the guarantee. A child that exits, sends
 * a malformed frame or writes more than a frame allows is treated as crashed.
 */

import { fileURLToPath } from "node:url";
import type { Logger } from "../util/logger.ts";
import { encodeFrame, FrameReader } from "./frame.ts";
import {
  asSandboxReply,
  encodeLimits,
  type SandboxLimits,
  type SandboxReply,
  type SandboxRequest,
} from "./sandbox_protocol.ts";

/** How a request ended when no reply could be read. */
export type ChildFailure = "timeout" | "crashed";

/** What spawning a child needs. */
export interface SpawnOptions {
  /** The child entry: `sandbox_child.ts` from source, or its bundle. */
  readonly childUrl: URL;
  /** `deno.json` for a `.ts` entry (its import map and `raw-imports`). */
  readonly denoConfig?: string;
  /** The deno binary (default `Deno.execPath()`). */
  readonly denoPath?: string;
  readonly limits: SandboxLimits;
  /** V8 old-space cap of the child, in MiB. */
  readonly heapMb: number;
  readonly logger?: Logger;
}

/**
 * The `deno` arguments that start a child: no permission flag at all, remote and uncached
 * module loading off (a compromised child could otherwise make Deno fetch from the
 * default `--allow-import` hosts), imports denied.
 */
export function childArgs(options: SpawnOptions): string[] {
  const entry = fileURLToPath(options.childUrl);
  const args = [
    "run",
    "--no-prompt",
    "--quiet",
    "--no-remote",
    "--cached-only",
    "--deny-import",
    `--v8-flags=--max-old-space-size=${options.heapMb}`,
  ];
  if (entry.endsWith(".ts")) {
    const config = options.denoConfig ??
      fileURLToPath(new URL("../../deno.json", options.childUrl));
    args.push(`--config=${config}`);
  } else {
    args.push("--no-config", "--no-lock", "--no-npm");
  }
  args.push(entry, encodeLimits(options.limits));
  return args;
}

interface InFlight {
  resolve(reply: SandboxReply | ChildFailure): void;
  timer: ReturnType<typeof setTimeout>;
}

/** A running child process and its request channel. */
export class SandboxChild {
  /** Digests this child has been sent a script for (it may have evicted some since). */
  readonly known: Set<string> = new Set();
  /** Resolves when the child said `ready`; false when it died or timed out first. */
  readonly ready: Promise<boolean>;
  /** Resolves when the process has exited and its pipes are drained. */
  readonly closed: Promise<void>;
  #process: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #inFlight: InFlight | undefined;
  #alive = true;
  #markReady: (ok: boolean) => void = () => {};
  #logger: Logger | undefined;

  constructor(options: SpawnOptions, startTimeoutMs: number) {
    this.#logger = options.logger;
    this.ready = new Promise((resolve) => (this.#markReady = resolve));
    this.#process = new Deno.Command(options.denoPath ?? Deno.execPath(), {
      args: childArgs(options),
      clearEnv: true,
      env: {},
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.#process.stdin.getWriter();
    const startTimer = setTimeout(() => this.kill("did not start in time"), startTimeoutMs);
    this.ready.then(() => clearTimeout(startTimer));
    this.closed = Promise.all([this.#readReplies(), this.#drainStderr(), this.#process.status])
      .then(() => this.#onExit());
  }

  /** The child's process id. */
  get pid(): number {
    return this.#process.pid;
  }

  /** False once the child was killed or exited. */
  get alive(): boolean {
    return this.#alive;
  }

  /**
   * Sends one request and waits for its reply at most `budgetMs`, after which the
   * child is killed and the answer is `timeout`. Only one request may be in flight.
   * @throws RangeError when the message is larger than a frame allows
   */
  request(message: SandboxRequest, budgetMs: number): Promise<SandboxReply | ChildFailure> {
    if (this.#inFlight !== undefined) {
      throw new TypeError("A sandbox child serves one request at a time");
    }
    if (!this.#alive) return Promise.resolve("crashed");
    const frame = encodeFrame(message);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#finish("timeout");
        this.kill("ran past its deadline");
      }, budgetMs);
      this.#inFlight = { resolve, timer };
      this.#writer.write(frame).catch(() => this.#finish("crashed"));
    });
  }

  /** SIGKILLs the child (idempotent). */
  kill(why: string): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#logger?.log("warn", "Killing a policy sandbox child", { pid: this.pid, why });
    try {
      this.#process.kill("SIGKILL");
    } catch {
      // already gone
    }
    this.#finish("crashed");
  }

  /** Closes stdin (the child exits on EOF) and kills it if still running after `graceMs`. */
  async close(graceMs = 1000): Promise<void> {
    this.#writer.close().catch(() => {});
    const timer = setTimeout(() => this.kill("did not exit on close"), graceMs);
    await this.closed;
    clearTimeout(timer);
  }

  #finish(outcome: SandboxReply | ChildFailure): void {
    const inFlight = this.#inFlight;
    if (inFlight === undefined) return;
    this.#inFlight = undefined;
    clearTimeout(inFlight.timer);
    inFlight.resolve(outcome);
  }

  async #readReplies(): Promise<void> {
    const frames = new FrameReader();
    const reader = this.#process.stdout.getReader();
    try {
      for (;;) {
        const { value: chunk, done } = await reader.read();
        if (done) break;
        for (const frame of frames.push(chunk)) {
          const reply = asSandboxReply(frame);
          if (reply === undefined) throw new RangeError("malformed reply");
          if ("op" in reply) this.#markReady(true);
          else this.#finish(reply);
        }
      }
    } catch (err) {
      this.kill(`protocol error: ${err instanceof Error ? err.message : "unknown"}`);
      await reader.cancel().catch(() => {});
    } finally {
      reader.releaseLock();
    }
  }

  async #drainStderr(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of this.#process.stderr) {
        const text = decoder.decode(chunk).slice(0, 512).trim();
        if (text !== "") {
          this.#logger?.log("warn", "Policy sandbox child wrote to stderr", {
            pid: this.pid,
            text,
          });
        }
      }
    } catch {
      // The pipe broke with the process: nothing more to log.
    }
  }

  #onExit(): void {
    this.#alive = false;
    this.#markReady(false);
    this.#finish("crashed");
    this.#writer.close().catch(() => {});
  }
}
