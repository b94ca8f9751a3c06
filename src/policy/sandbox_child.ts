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
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../core/encoding.ts";
import { LruCache } from "../util/lru_cache.ts";
import { writeAll } from "../util/logger.ts";
import { encodeFrame, FrameReader } from "./frame.ts";
import { CompiledPolicy, denyOutcome, HardenedRealm } from "./quickjs_policy.ts";
import type { ScriptOutcome } from "./policy_types.ts";
import { decodeLimits, type SandboxLimits, type SandboxReply } from "./sandbox_protocol.ts";

const WARM_UP_ROUNDS = 4;
const WARM_UP_DEADLINE_MS = 10_000;
const WARM_UP_SCRIPT = `export default (ctx) =>
  (ctx.weekday >= 1 && ctx.weekday <= 5 && ctx.hour >= 9 && ctx.hour < 17 &&
    ctx.actor.roles.includes("Service")) || { deny: "outside business hours" };`;
const WARM_UP_CONTEXT = JSON.stringify({
  actor: { sub: "warm-up", roles: ["Service"] },
  action: "sign",
  key: { id: "k", algorithm: "EC-P256", tags: { team: "t" }, state: "active", version: 1 },
  request: {
    time: "2025-01-06T10:00:00.000Z",
    time_zone: "UTC",
    hour: 10,
    minute: 0,
    weekday: 1,
    utc: { hour: 10, minute: 0, weekday: 1 },
    client_ip: "127.0.0.1",
    size: 0,
    via: "rest",
  },
  hour: 10,
  minute: 0,
  weekday: 1,
});

/** The child's state: the QuickJS module and the compiled policies. */
class Child {
  readonly #module: QuickJSWASMModule;
  readonly #limits: SandboxLimits;
  readonly #cache: LruCache<string, CompiledPolicy>;

  constructor(module: QuickJSWASMModule, limits: SandboxLimits) {
    this.#module = module;
    this.#limits = limits;
    this.#cache = new LruCache({
      maxEntries: limits.maxCachedPolicies,
      onEvict: (_digest, policy) => policy.dispose(),
    });
  }

  /**
   * Runs a sample policy a few times before the child reports ready: V8 compiles the
   * QuickJS WebAssembly lazily and tiers it up with use, so a cold child would spend the
   * first requests' deadlines compiling itself.
   */
  warmUp(): void {
    for (let round = 0; round < WARM_UP_ROUNDS; round++) {
      const realm = HardenedRealm.create(this.#module, this.#limits);
      const policy = CompiledPolicy.compile(realm, WARM_UP_SCRIPT, WARM_UP_DEADLINE_MS);
      if (!(policy instanceof CompiledPolicy)) throw new Error("Cannot warm up the sandbox");
      for (let call = 0; call < 20; call++) policy.run(WARM_UP_CONTEXT);
      policy.dispose();
    }
  }

  /** Answers one request. A host-side failure answers `crashed` and asks to be replaced. */
  handle(message: unknown): SandboxReply {
    const m = message as Record<string, unknown>;
    const id = typeof m.id === "number" ? m.id : -1;
    const digest = typeof m.digest === "string" ? m.digest : "";
    const script = typeof m.script === "string" ? m.script : undefined;
    try {
      if (m.op === "validate" && script !== undefined) {
        const policy = this.#cache.get(digest) ?? this.#compile(digest, script);
        return { id, outcome: policy instanceof CompiledPolicy ? { allow: true } : policy };
      }
      if (m.op !== "eval") return { id, outcome: denyOutcome("crashed", "Unknown request") };
      let policy = this.#cache.get(digest);
      if (policy === undefined) {
        if (script === undefined) return { id, missing: true };
        const fresh = this.#compile(digest, script);
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

  #compile(digest: string, script: string): CompiledPolicy | ScriptOutcome {
    if (policyDigest(script) !== digest) {
      return denyOutcome("crashed", "The script does not match its digest");
    }
    const realm = HardenedRealm.create(this.#module, this.#limits);
    const policy = CompiledPolicy.compile(realm, script, this.#limits.deadlineMs);
    if (policy instanceof CompiledPolicy) this.#cache.set(digest, policy);
    return policy;
  }
}

function policyDigest(script: string): string {
  return toHex(sha256(new TextEncoder().encode(script)));
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
  child.warmUp();
  send({ op: "ready" });
  const reader = new FrameReader();
  const buffer = new Uint8Array(64 * 1024);
  for (;;) {
    // A blocking read: nothing else runs here, and it wakes faster than the event loop.
    const n = Deno.stdin.readSync(buffer);
    if (n === null) return;
    for (const message of reader.push(buffer.subarray(0, n))) {
      const reply = child.handle(message);
      send(reply);
      if ("recycle" in reply && reply.recycle === true) Deno.exit(0);
    }
  }
}

if (import.meta.main) await main();
