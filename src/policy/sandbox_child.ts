/**
 * Entry point of a policy sandbox child: a Deno process started with NO permissions
 * (`deno run --no-prompt`, no `--allow-*`) that runs policy scripts in QuickJS and
 * answers over stdin/stdout in length-prefixed frames (`frame.ts`). The QuickJS wasm is
 * a static bytes import, so the child needs no read permission and `deno bundle
 * --unstable-raw-imports` makes it one self-contained file.
 *
 * It serves one request at a time. Compiled policies are cached by digest (the digest is
 * checked against the script once, at compile). It never writes anything but frames to
 * stdout; a host-side failure (a WebAssembly trap) answers `crashed` and exits so the
 * parent starts a clean child. Its only argument is its limits as JSON.
 */

import wasm from "@jitl/quickjs-wasmfile-release-sync/wasm" with { type: "bytes" };
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSWASMModule,
  RELEASE_SYNC,
} from "quickjs-emscripten";
import { LruCache } from "../util/lru_cache.ts";
import { writeAll } from "../util/logger.ts";
import { encodeFrame, FrameReader } from "./frame.ts";
import { CompiledPolicy, denyOutcome, HardenedRealm } from "./quickjs_policy.ts";
import type { ScriptOutcome } from "./policy_types.ts";
import { decodeLimits, type SandboxLimits, type SandboxReply } from "./sandbox_protocol.ts";

/** The child's state: the QuickJS module, the compiled policies and a spare realm. */
class Child {
  readonly #module: QuickJSWASMModule;
  readonly #limits: SandboxLimits;
  readonly #cache: LruCache<string, CompiledPolicy>;
  #spare: HardenedRealm | undefined;

  constructor(module: QuickJSWASMModule, limits: SandboxLimits) {
    this.#module = module;
    this.#limits = limits;
    this.#cache = new LruCache({
      maxEntries: limits.maxCachedPolicies,
      onEvict: (_digest, policy) => policy.dispose(),
    });
  }

  /** Prepares the realm the next compile will use (called while idle). */
  prepare(): void {
    this.#spare ??= HardenedRealm.create(this.#module, this.#limits);
  }

  /** Answers one request. A host-side failure answers `crashed` and asks to be replaced. */
  async handle(message: unknown): Promise<SandboxReply> {
    const m = message as Record<string, unknown>;
    const id = typeof m.id === "number" ? m.id : -1;
    const digest = typeof m.digest === "string" ? m.digest : "";
    const script = typeof m.script === "string" ? m.script : undefined;
    try {
      if (m.op === "validate" && script !== undefined) {
        const policy = this.#cache.get(digest) ?? await this.#compile(digest, script);
        return { id, outcome: policy instanceof CompiledPolicy ? { allow: true } : policy };
      }
      if (m.op !== "eval") return { id, outcome: denyOutcome("crashed", "Unknown request") };
      let policy = this.#cache.get(digest);
      if (policy === undefined) {
        if (script === undefined) return { id, missing: true };
        const fresh = await this.#compile(digest, script);
        if (!(fresh instanceof CompiledPolicy)) return { id, outcome: fresh };
        policy = fresh;
      }
      const { outcome, discard } = policy.run(JSON.stringify(m.ctx ?? null));
      if (discard) {
        this.#cache.delete(digest);
        policy.dispose();
      }
      const recycle = this.#module.getWasmMemory().buffer.byteLength > this.#limits.maxWasmBytes;
      return recycle ? { id, outcome, recycle } : { id, outcome };
    } catch (err) {
      // A WebAssembly trap or a broken handle: the module may be corrupt.
      const detail = err instanceof Error ? err.message : "Sandbox failure";
      return { id, outcome: denyOutcome("crashed", detail), recycle: true };
    }
  }

  async #compile(digest: string, script: string): Promise<CompiledPolicy | ScriptOutcome> {
    if (await sha256Hex(script) !== digest) {
      return denyOutcome("crashed", "The script does not match its digest");
    }
    const realm = this.#spare ?? HardenedRealm.create(this.#module, this.#limits);
    this.#spare = undefined;
    const policy = CompiledPolicy.compile(realm, script, this.#limits.deadlineMs);
    if (policy instanceof CompiledPolicy) this.#cache.set(digest, policy);
    return policy;
  }
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function send(reply: SandboxReply): void {
  writeAll(Deno.stdout, encodeFrame(reply));
}

/** Serves requests from stdin until it closes. */
async function main(): Promise<void> {
  const limits = decodeLimits(Deno.args[0]);
  const binary = wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength);
  const module = await newQuickJSWASMModuleFromVariant(
    newVariant(RELEASE_SYNC, { wasmBinary: binary as ArrayBuffer }),
  );
  const child = new Child(module, limits);
  child.prepare();
  send({ op: "ready" });
  const reader = new FrameReader();
  const buffer = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await Deno.stdin.read(buffer);
    if (n === null) return;
    for (const message of reader.push(buffer.subarray(0, n))) {
      const reply = await child.handle(message);
      send(reply);
      if ("recycle" in reply && reply.recycle === true) Deno.exit(0);
    }
    // Idle (nothing left in this read): harden the realm for the next compile now.
    if (reader.pending === 0) child.prepare();
  }
}

if (import.meta.main) await main();
