/**
 * One policy compiled in its own QuickJS runtime (runs inside a sandbox child only).
 *
 * Each policy gets a runtime with its own heap cap, stack cap and interrupt deadline, and
 * a context that is hardened before the script's module is evaluated: `eval` and the
 * Function constructors are removed and every object reachable from `globalThis`
 * (intrinsics included) is frozen, so a script cannot leave state in shared objects for
 * a later evaluation. QuickJS offers no `Deno`, `fetch`, timers or console, and no module
 * loader is installed, so `import` of anything fails. The context is handed over as JSON
 * and deep-frozen inside the realm.
 *
 * Caveat: a module's own top-level variables persist between calls in one child (that is
 * what compiling once means); policies should be pure functions of `ctx`. The interrupt
 * handler and heap cap are a first line only: GC thrash near the cap and some native
 * work are not interrupted, which is why the parent's watchdog kills the whole child.
 */

import type {
  QuickJSContext,
  QuickJSHandle,
  QuickJSRuntime,
  QuickJSWASMModule,
} from "quickjs-emscripten";
import type { PolicyDenyCause, ScriptOutcome } from "./policy_types.ts";
import { MAX_REASON_CHARS, SETUP_SOURCE } from "./realm_setup.ts";
import type { SandboxLimits } from "./sandbox_protocol.ts";

/** The phrase a caller sees for each cause (the script's own reason wins for `denied`). */
export const CAUSE_REASONS: Readonly<Record<PolicyDenyCause, string>> = Object.freeze({
  denied: "Denied by policy",
  threw: "Policy failed: it threw an error",
  timeout: "Policy failed: it ran past its deadline",
  memory: "Policy failed: it ran out of memory",
  crashed: "Policy failed: its sandbox crashed",
  invalid_result: "Policy failed: it returned neither true, false nor {deny: reason}",
  unavailable: "Policy failed: no sandbox was available",
});

/** A deny outcome for `cause`, with an optional detail for the audit trail. */
export function denyOutcome(
  cause: PolicyDenyCause,
  detail?: string,
  reason?: string,
): ScriptOutcome {
  const text = reason === undefined || reason === "" ? CAUSE_REASONS[cause] : reason;
  return detail === undefined
    ? { allow: false, cause, reason: text }
    : { allow: false, cause, reason: text, detail: detail.slice(0, MAX_REASON_CHARS) };
}

/** Result of running a policy, and whether its runtime should be thrown away. */
export interface RunResult {
  readonly outcome: ScriptOutcome;
  /** True after a timeout, memory exhaustion or leftover promise jobs. */
  readonly discard: boolean;
}

/** Interrupt state shared by a runtime's handler and the code arming it. */
interface Clock {
  deadline: number;
  interrupted: boolean;
}

/**
 * A fresh runtime with the caps and interrupt handler, whose context is hardened and
 * holds the private invoke helper. Hardening walks every intrinsic: a few milliseconds
 * once warm, which is why compiling is budgeted apart from calling.
 */
export class HardenedRealm {
  readonly runtime: QuickJSRuntime;
  readonly vm: QuickJSContext;
  readonly invoke: QuickJSHandle;
  readonly clock: Clock;

  private constructor(
    runtime: QuickJSRuntime,
    vm: QuickJSContext,
    invoke: QuickJSHandle,
    clock: Clock,
  ) {
    this.runtime = runtime;
    this.vm = vm;
    this.invoke = invoke;
    this.clock = clock;
  }

  /**
   * A runtime with the heap and stack caps and an interrupt handler, and a hardened context.
   * @throws Error when QuickJS cannot set up the realm (the child should exit)
   */
  static create(module: QuickJSWASMModule, limits: SandboxLimits): HardenedRealm {
    const runtime = module.newRuntime();
    const clock: Clock = { deadline: 0, interrupted: false };
    try {
      runtime.setMemoryLimit(limits.memoryBytes);
      runtime.setMaxStackSize(limits.stackBytes);
      runtime.setInterruptHandler(() => {
        if (performance.now() <= clock.deadline) return false;
        clock.interrupted = true;
        return true;
      });
      const vm = runtime.newContext();
      // Our own code: no deadline worth enforcing, the watchdog still bounds it.
      clock.deadline = Infinity;
      const setup = vm.evalCode(SETUP_SOURCE, "setup.js", { type: "global", strict: true });
      if (setup.error) {
        setup.error.dispose();
        vm.dispose();
        throw new Error("Cannot harden a QuickJS realm");
      }
      return new HardenedRealm(runtime, vm, setup.value, clock);
    } catch (err) {
      if (runtime.alive) runtime.dispose();
      throw err;
    }
  }

  /** Frees the runtime and everything in it. */
  dispose(): void {
    if (this.invoke.alive) this.invoke.dispose();
    if (this.vm.alive) this.vm.dispose();
    if (this.runtime.alive) this.runtime.dispose();
  }
}

/** A compiled policy: a hardened realm holding the script's default export. */
export class CompiledPolicy {
  readonly #realm: HardenedRealm;
  readonly #fn: QuickJSHandle;
  readonly #deadlineMs: number;

  private constructor(realm: HardenedRealm, fn: QuickJSHandle, deadlineMs: number) {
    this.#realm = realm;
    this.#fn = fn;
    this.#deadlineMs = deadlineMs;
  }

  /**
   * Evaluates `script` as a module in `realm` (which it takes over: on failure the realm
   * is disposed). Returns the policy, or the deny outcome explaining why it cannot run
   * (syntax error, top-level throw or loop, default export not a function).
   */
  static compile(
    realm: HardenedRealm,
    script: string,
    deadlineMs: number,
  ): CompiledPolicy | ScriptOutcome {
    const { vm, clock } = realm;
    let fn: QuickJSHandle | undefined;
    let kept = false;
    try {
      clock.interrupted = false;
      clock.deadline = performance.now() + deadlineMs;
      const evaluated = vm.evalCode(script, "policy.js", { type: "module" });
      if (evaluated.error) {
        const outcome = errorOutcome(vm, evaluated.error, clock.interrupted);
        evaluated.error.dispose();
        return outcome;
      }
      fn = vm.getProp(evaluated.value, "default");
      evaluated.value.dispose();
      if (vm.typeof(fn) !== "function") {
        return denyOutcome("invalid_result", "The default export is not a function");
      }
      kept = true;
      return new CompiledPolicy(realm, fn, deadlineMs);
    } finally {
      if (!kept) {
        if (fn?.alive) fn.dispose();
        realm.dispose();
      }
    }
  }

  /** Calls the policy with the context (JSON text) under the deadline. */
  run(ctxJson: string): RunResult {
    const { vm, clock, runtime, invoke } = this.#realm;
    const json = vm.newString(ctxJson);
    clock.interrupted = false;
    clock.deadline = performance.now() + this.#deadlineMs;
    try {
      const called = vm.callFunction(invoke, vm.undefined, this.#fn, json);
      if (called.error) {
        const outcome = errorOutcome(vm, called.error, clock.interrupted);
        called.error.dispose();
        return { outcome, discard: outcome.allow === false && outcome.cause !== "threw" };
      }
      const answer = vm.typeof(called.value) === "string" ? vm.getString(called.value) : "";
      called.value.dispose();
      const outcome = answerOutcome(answer);
      const discard = runtime.hasPendingJob() ||
        (outcome.allow === false && outcome.cause === "memory");
      return { outcome, discard };
    } finally {
      json.dispose();
    }
  }

  /** Frees the runtime and everything in it. */
  dispose(): void {
    if (this.#fn.alive) this.#fn.dispose();
    this.#realm.dispose();
  }
}

// deno-lint-ignore no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/g;

function answerOutcome(answer: string): ScriptOutcome {
  const rest = answer.slice(1);
  switch (answer[0]) {
    case "A":
      return { allow: true };
    case "D":
      // The script's own words reach callers and logs: no control characters.
      return denyOutcome("denied", undefined, rest.replace(CONTROL_CHARS, " "));
    case "T":
      return denyOutcome("threw", rest);
    case "M":
      return denyOutcome("memory", rest);
    case "I":
      return denyOutcome("invalid_result", `The policy returned ${rest}`);
    default:
      return denyOutcome("crashed", "The sandbox helper gave no answer");
  }
}

/** Classifies an error that escaped the realm (interrupt, engine limits, a hostile getter). */
function errorOutcome(
  vm: QuickJSContext,
  error: QuickJSHandle,
  interrupted: boolean,
): ScriptOutcome {
  if (interrupted) return denyOutcome("timeout", "Interrupted at the deadline");
  const name = stringProp(vm, error, "name");
  const message = stringProp(vm, error, "message");
  const detail = name === undefined && message === undefined
    ? "A non-error value was thrown"
    : `${name ?? "Error"}: ${message ?? ""}`;
  // QuickJS reports heap exhaustion as InternalError "out of memory" (JS_ThrowOutOfMemory).
  if (name === "InternalError" && message === "out of memory") return denyOutcome("memory", detail);
  return denyOutcome("threw", detail);
}

function stringProp(vm: QuickJSContext, handle: QuickJSHandle, key: string): string | undefined {
  if (vm.typeof(handle) !== "object") return undefined;
  let prop: QuickJSHandle;
  try {
    prop = vm.getProp(handle, key);
  } catch {
    return undefined; // a throwing getter on a thrown object
  }
  try {
    return vm.typeof(prop) === "string" ? vm.getString(prop).slice(0, MAX_REASON_CHARS) : undefined;
  } finally {
    prop.dispose();
  }
}
