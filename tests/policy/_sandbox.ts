/** Shared fixtures of the policy tests: a context, and pools that are always closed. */

import { buildPolicyContext } from "../../src/policy/policy_context.ts";
import { policyDigest } from "../../src/policy/policy_engine.ts";
import type { PolicyContext } from "../../src/policy/policy_types.ts";
import {
  SandboxPool,
  type SandboxPoolOptions,
  type SandboxScript,
} from "../../src/policy/sandbox_pool.ts";

/** A Monday, 10:30 in Paris. */
export const CTX: PolicyContext = buildPolicyContext({
  actor: { sub: "svc-payments", roles: ["Service"] },
  action: "sign",
  key: { id: "k1", algorithm: "EC-P256", tags: { team: "payments" }, state: "active", version: 2 },
  request: { time: new Date("2025-01-06T09:30:00Z"), clientIp: "127.0.0.1", size: 16, via: "rest" },
  timeZone: "Europe/Paris",
});

/** The stand-in child that misbehaves on request (`_fake_child.ts`). */
export const FAKE_CHILD_URL = new URL("./_fake_child.ts", import.meta.url);

/** A script with its digest. */
export function script(source: string): SandboxScript {
  return { digest: policyDigest(source), script: source };
}

/** Runs `fn` with a fresh pool and closes it whatever happens. */
export async function withPool<T>(
  options: SandboxPoolOptions,
  fn: (pool: SandboxPool) => Promise<T>,
): Promise<T> {
  const pool = new SandboxPool(options);
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}
