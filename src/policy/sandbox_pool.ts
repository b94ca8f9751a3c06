/**
 * A small pool (default 2) of permission-less sandbox children that run policy scripts.
 * Children start lazily, on the first evaluation (or `start()`), so a server whose
 * requests meet no policy never spawns one. Each child serves one evaluation at a time
 * under a watchdog of its deadline plus a margin (plus a compile allowance and a second
 * deadline when it must compile the script first); a child that overruns is SIGKILLed and
 * replaced, and the evaluation is a `timeout` deny. Every failure denies (fail closed): a crash is `crashed`, a full queue,
 * a closed pool or children that cannot start are `unavailable`.
 */

import type { Logger } from "../util/logger.ts";
import type { PolicyContext, ScriptOutcome } from "./policy_types.ts";
import { Quarantine, type QuarantineOptions } from "./quarantine.ts";
import { denyOutcome } from "./quickjs_policy.ts";
import { type ChildFailure, SandboxChild } from "./sandbox_process.ts";
import type { SandboxLimits, SandboxRequest } from "./sandbox_protocol.ts";

/** Where the child entry is: beside this file from source, beside the bundle in a release. */
export const SANDBOX_CHILD_URL: URL = new URL(
  import.meta.url.endsWith("/src/policy/sandbox_pool.ts")
    ? "./sandbox_child.ts"
    : "./policy_sandbox_child.js",
  import.meta.url,
);

/** Digests remembered per child as sent; the child's own cache is the real bound. */
const KNOWN_DIGESTS_MAX = 1024;

/** Pool settings; every field has a default. */
export interface SandboxPoolOptions {
  /** Children (default 2). */
  readonly size?: number;
  /** Per-evaluation deadline in ms (default 50). */
  readonly deadlineMs?: number;
  /** Watchdog slack beyond the deadline before the kill, in ms (default 50). */
  readonly watchdogMarginMs?: number;
  /**
   * Extra watchdog time for a request that compiles (hardening a realm, evaluating the
   * module's top level under its own deadline), in ms (default 250).
   */
  readonly compileAllowanceMs?: number;
  /** QuickJS heap cap per policy (default 8 MiB). */
  readonly memoryBytes?: number;
  /** QuickJS stack cap per policy (default 256 KiB). */
  readonly stackBytes?: number;
  /** Compiled policies kept per child (default 64). */
  readonly maxCachedPolicies?: number;
  /** WebAssembly memory after which a child is replaced (default 256 MiB). */
  readonly maxWasmBytes?: number;
  /** V8 heap cap of a child in MiB (default 64). */
  readonly childHeapMb?: number;
  /** Evaluations allowed to wait for a free child (default 1024). */
  readonly maxQueue?: number;
  /**
   * Longest wait for a busy child to free up before denying as `unavailable`, in ms
   * (default 1000). Waiting for a child to start counts against `startTimeoutMs` instead.
   */
  readonly maxQueueWaitMs?: number;
  /** When a script that keeps getting children killed is held back (see `Quarantine`). */
  readonly quarantine?: QuarantineOptions;
  /** Time a child has to report ready, in ms (default 10 s). */
  readonly startTimeoutMs?: number;
  /** The child entry (default SANDBOX_CHILD_URL). */
  readonly childUrl?: URL;
  /** `deno.json` for a `.ts` child entry (default: the project's). */
  readonly denoConfig?: string;
  /** The deno binary (default `Deno.execPath()`). */
  readonly denoPath?: string;
  readonly logger?: Logger;
}

/** Counters since construction. */
export interface SandboxPoolStats {
  /** Children spawned. */
  readonly spawned: number;
  /** Requests written to children. */
  readonly messages: number;
  /** Children killed by the watchdog. */
  readonly killed: number;
  /** Children that died without being killed by the watchdog. */
  readonly crashed: number;
}

/** A script to run: its digest keys the children's compile cache. */
export interface SandboxScript {
  readonly digest: string;
  readonly script: string;
}

interface Job {
  readonly kind: "eval" | "validate";
  readonly target: SandboxScript;
  readonly ctx: PolicyContext | undefined;
  readonly queuedAt: number;
  readonly resolve: (outcome: ScriptOutcome) => void;
}

/** The pool of sandbox children. */
export class SandboxPool {
  readonly #size: number;
  readonly #deadlineMs: number;
  readonly #marginMs: number;
  readonly #compileMs: number;
  readonly #maxQueue: number;
  readonly #maxWaitMs: number;
  readonly #quarantine: Quarantine;
  readonly #startTimeoutMs: number;
  readonly #spawn: ConstructorParameters<typeof SandboxChild>[0];
  readonly #logger: Logger | undefined;
  readonly #children = new Set<SandboxChild>();
  readonly #idle: SandboxChild[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;
  #failures = 0;
  #retryAt = 0;
  /** When a child last became ready: time spent waiting for a start does not count. */
  #readyAt = 0;
  #stats = { spawned: 0, messages: 0, killed: 0, crashed: 0 };

  constructor(options: SandboxPoolOptions = {}) {
    const positive = (name: string, value: number) => {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(`Sandbox pool option ${name} must be a positive integer`);
      }
      return value;
    };
    this.#size = positive("size", options.size ?? 2);
    this.#deadlineMs = positive("deadlineMs", options.deadlineMs ?? 50);
    this.#marginMs = positive("watchdogMarginMs", options.watchdogMarginMs ?? 50);
    this.#compileMs = positive("compileAllowanceMs", options.compileAllowanceMs ?? 250);
    this.#maxQueue = positive("maxQueue", options.maxQueue ?? 1024);
    this.#maxWaitMs = positive("maxQueueWaitMs", options.maxQueueWaitMs ?? 1000);
    this.#quarantine = new Quarantine(options.quarantine);
    this.#startTimeoutMs = positive("startTimeoutMs", options.startTimeoutMs ?? 10_000);
    const limits: SandboxLimits = {
      deadlineMs: this.#deadlineMs,
      memoryBytes: positive("memoryBytes", options.memoryBytes ?? 8 * 1024 * 1024),
      stackBytes: positive("stackBytes", options.stackBytes ?? 256 * 1024),
      maxCachedPolicies: positive("maxCachedPolicies", options.maxCachedPolicies ?? 64),
      maxWasmBytes: positive("maxWasmBytes", options.maxWasmBytes ?? 256 * 1024 * 1024),
    };
    this.#logger = options.logger;
    this.#spawn = {
      childUrl: options.childUrl ?? SANDBOX_CHILD_URL,
      limits,
      heapMb: positive("childHeapMb", options.childHeapMb ?? 64),
      ...(options.denoConfig === undefined ? {} : { denoConfig: options.denoConfig }),
      ...(options.denoPath === undefined ? {} : { denoPath: options.denoPath }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    };
  }

  /** A snapshot of the counters. */
  get stats(): SandboxPoolStats {
    return { ...this.#stats };
  }

  /** The deadline and watchdog margin in force, in ms. */
  get timing(): { readonly deadlineMs: number; readonly watchdogMarginMs: number } {
    return { deadlineMs: this.#deadlineMs, watchdogMarginMs: this.#marginMs };
  }

  /** Spawns the children now and waits until they are ready (a warm-up; optional). */
  async start(): Promise<void> {
    this.#fill();
    await Promise.all([...this.#children].map((child) => child.ready));
  }

  /** Runs `target`'s default export on `ctx`; always resolves (failures deny). */
  evaluate(target: SandboxScript, ctx: PolicyContext): Promise<ScriptOutcome> {
    return this.#enqueue("eval", target, ctx);
  }

  /** Compiles `target` and checks its default export is a function (allow = valid). */
  validate(target: SandboxScript): Promise<ScriptOutcome> {
    return this.#enqueue("validate", target);
  }

  /** Stops every child; later evaluations deny as `unavailable`. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.resolve(denyOutcome("unavailable", "Pool closed"));
    await Promise.all([...this.#children].map((child) => child.close()));
  }

  #enqueue(kind: Job["kind"], target: SandboxScript, ctx?: PolicyContext): Promise<ScriptOutcome> {
    if (this.#closed) return Promise.resolve(denyOutcome("unavailable", "Pool closed"));
    if (this.#queue.length >= this.#maxQueue) {
      return Promise.resolve(denyOutcome("unavailable", "Sandbox queue full"));
    }
    const held = this.#quarantine.held(target.digest);
    if (held !== undefined) {
      return Promise.resolve(denyOutcome(held, "Held back after repeated sandbox kills"));
    }
    return new Promise((resolve) => {
      this.#queue.push({ kind, target, ctx, queuedAt: performance.now(), resolve });
      this.#fill();
      this.#failQueueIfNoChild();
      this.#pump();
    });
  }

  #fill(): void {
    if (this.#closed || performance.now() < this.#retryAt) return;
    while (this.#children.size < this.#size) {
      try {
        this.#spawnChild();
      } catch (err) {
        // Typically a missing --allow-run for the deno binary: nothing can run policies.
        this.#startFailed(err instanceof Error ? err.name : "unknown");
        return;
      }
    }
  }

  #spawnChild(): void {
    const child = new SandboxChild(this.#spawn, this.#startTimeoutMs);
    this.#stats.spawned++;
    this.#children.add(child);
    child.ready.then((ok) => {
      if (!ok) return;
      this.#failures = 0;
      this.#readyAt = performance.now();
      this.#idle.push(child);
      this.#pump();
    });
    child.closed.then(async () => {
      this.#children.delete(child);
      const at = this.#idle.indexOf(child);
      if (at >= 0) this.#idle.splice(at, 1);
      if (this.#closed) return;
      if (await child.ready) this.#fill();
      else this.#startFailed("exited before ready");
      this.#pump();
    });
  }

  /** Backs off (250 ms doubling to 30 s) and fails waiting jobs when no child is left. */
  #startFailed(why: string): void {
    this.#failures++;
    this.#retryAt = performance.now() + Math.min(30_000, 250 * 2 ** (this.#failures - 1));
    this.#logger?.log("error", "A policy sandbox child failed to start", {
      why,
      failures: this.#failures,
    });
    this.#failQueueIfNoChild();
  }

  #failQueueIfNoChild(): void {
    if (this.#children.size > 0) return;
    for (const job of this.#queue.splice(0)) {
      job.resolve(denyOutcome("unavailable", "No sandbox child could start"));
    }
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#idle.length > 0) {
      const child = this.#idle.pop() as SandboxChild;
      if (!child.alive) continue;
      const job = this.#queue.shift() as Job;
      if (performance.now() - Math.max(job.queuedAt, this.#readyAt) > this.#maxWaitMs) {
        this.#idle.push(child);
        job.resolve(denyOutcome("unavailable", "Waited too long for a sandbox child"));
        continue;
      }
      this.#run(child, job).catch((err: unknown) =>
        // Only a message too large to frame gets here; the child itself is fine.
        denyOutcome("unavailable", err instanceof Error ? err.message : "Cannot send the request")
      ).then((outcome) => {
        job.resolve(outcome);
        if (child.alive) this.#idle.push(child);
        this.#pump();
      });
    }
  }

  async #run(child: SandboxChild, job: Job): Promise<ScriptOutcome> {
    const { digest, script } = job.target;
    const id = this.#nextId++;
    let withScript = job.kind === "validate" || !child.known.has(digest);
    for (let attempt = 0; attempt < 2; attempt++) {
      const message: SandboxRequest = job.kind === "validate"
        ? { op: "validate", id, digest, script }
        : withScript
        ? { op: "eval", id, digest, script, ctx: job.ctx }
        : { op: "eval", id, digest, ctx: job.ctx };
      // Compiling hardens a realm and runs the module's top level under its own deadline.
      const budget = withScript
        ? 2 * this.#deadlineMs + this.#marginMs + this.#compileMs
        : this.#deadlineMs + this.#marginMs;
      const pending = child.request(message, budget);
      this.#stats.messages++;
      const reply = await pending;
      if (withScript) {
        // Bounded: forgetting only costs resending a script the child may still hold.
        if (child.known.size >= KNOWN_DIGESTS_MAX) child.known.clear();
        child.known.add(digest);
      }
      if (typeof reply === "string") return this.#failed(child, reply, digest);
      if ("missing" in reply) {
        child.known.delete(digest);
        withScript = true;
        continue;
      }
      if (!("outcome" in reply) || reply.id !== id) return this.#failed(child, "crashed", digest);
      if (reply.recycle === true) child.kill("asked to be replaced");
      this.#quarantine.clear(digest);
      return reply.outcome;
    }
    return this.#failed(child, "crashed", digest);
  }

  #failed(child: SandboxChild, failure: ChildFailure, digest: string): ScriptOutcome {
    child.kill(failure === "timeout" ? "watchdog" : "failed");
    if (this.#quarantine.strike(digest, failure)) {
      this.#logger?.log("warn", "A policy script is held back after repeated sandbox kills", {
        digest,
      });
    }
    if (failure === "timeout") {
      this.#stats.killed++;
      return denyOutcome("timeout", "Killed by the watchdog");
    }
    this.#stats.crashed++;
    return denyOutcome("crashed", "The sandbox child died");
  }
}
