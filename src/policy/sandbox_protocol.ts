/**
 * The messages between the server and a sandbox child (carried in `frame.ts` frames),
 * and the limits a child runs policies under. The child trusts nothing it evaluates;
 * the parent trusts nothing the child says beyond the shape checked here: a reply that
 * does not parse is treated as a crash.
 */

import type { PolicyDenyCause, ScriptOutcome } from "./policy_types.ts";

/** Limits applied by a child to every policy it runs. */
export interface SandboxLimits {
  /** Per call (and per compile) CPU budget checked by QuickJS's interrupt handler. */
  readonly deadlineMs: number;
  /** QuickJS heap cap per policy runtime. */
  readonly memoryBytes: number;
  /** QuickJS stack cap per policy runtime. */
  readonly stackBytes: number;
  /** Compiled policies a child keeps (least recently used are disposed). */
  readonly maxCachedPolicies: number;
  /** A child whose WebAssembly memory grows past this asks to be replaced. */
  readonly maxWasmBytes: number;
}

/** Parent → child: evaluate a policy (sending the script when the child may lack it). */
export interface EvalRequest {
  readonly op: "eval";
  readonly id: number;
  readonly digest: string;
  readonly script?: string;
  readonly ctx: unknown;
}

/** Parent → child: compile a script and check its default export is a function. */
export interface ValidateRequest {
  readonly op: "validate";
  readonly id: number;
  readonly digest: string;
  readonly script: string;
}

/** Everything a parent sends. */
export type SandboxRequest = EvalRequest | ValidateRequest;

/** Child → parent. `missing`: the child no longer holds that digest; resend the script. */
export type SandboxReply =
  | { readonly op: "ready" }
  | { readonly id: number; readonly outcome: ScriptOutcome; readonly recycle?: boolean }
  | { readonly id: number; readonly missing: true };

const CAUSES: ReadonlySet<string> = new Set<PolicyDenyCause>([
  "denied",
  "threw",
  "timeout",
  "memory",
  "crashed",
  "invalid_result",
  "unavailable",
]);

/** Narrows a decoded frame from a child to a reply, or undefined when malformed. */
export function asSandboxReply(value: unknown): SandboxReply | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.op === "ready") return { op: "ready" };
  if (typeof v.id !== "number") return undefined;
  if (v.missing === true) return { id: v.id, missing: true };
  const o = v.outcome as Record<string, unknown> | undefined;
  if (typeof o !== "object" || o === null) return undefined;
  const recycle = v.recycle === true;
  if (o.allow === true) return { id: v.id, outcome: { allow: true }, recycle };
  if (o.allow !== false || typeof o.cause !== "string" || !CAUSES.has(o.cause)) return undefined;
  if (typeof o.reason !== "string") return undefined;
  const outcome: ScriptOutcome = typeof o.detail === "string"
    ? { allow: false, cause: o.cause as PolicyDenyCause, reason: o.reason, detail: o.detail }
    : { allow: false, cause: o.cause as PolicyDenyCause, reason: o.reason };
  return { id: v.id, outcome, recycle };
}

/** A child's limits as its command-line argument. */
export function encodeLimits(limits: SandboxLimits): string {
  return JSON.stringify(limits);
}

/**
 * Reads limits from a child's command-line argument.
 * @throws RangeError when a limit is missing or not a positive integer
 */
export function decodeLimits(arg: string | undefined): SandboxLimits {
  const raw = JSON.parse(arg ?? "null") as Record<string, unknown> | null;
  const read = (name: keyof SandboxLimits): number => {
    const value = raw?.[name];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`Sandbox limit ${name} must be a positive integer`);
    }
    return value;
  };
  return {
    deadlineMs: read("deadlineMs"),
    memoryBytes: read("memoryBytes"),
    stackBytes: read("stackBytes"),
    maxCachedPolicies: read("maxCachedPolicies"),
    maxWasmBytes: read("maxWasmBytes"),
  };
}
