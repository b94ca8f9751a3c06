/** Shared fixtures for the audit tests: a fixed MAC key, valid chains, a stepping clock. */

import type { AuditEntry } from "../../src/domain/audit_entry.ts";
import {
  computeMac,
  deriveAuditMacKey,
  entryHash,
  GENESIS_HASH,
  type MacKey,
  payloadHash,
} from "../../src/audit/chain.ts";
import { toEntry } from "../../src/domain/audit_entry.ts";

/** The operator's raw HMAC key used by every audit test. */
export const RAW_HMAC_KEY: Uint8Array = new Uint8Array(32).map((_, i) => i + 1);

/** The audit MAC key derived from RAW_HMAC_KEY. */
export function testMacKey(raw: Uint8Array = RAW_HMAC_KEY): Promise<MacKey> {
  return deriveAuditMacKey(raw);
}

/** A clock that starts at 2030-01-01T00:00:00Z and advances one second per call. */
export function steppingClock(): () => Date {
  let t = Date.UTC(2030, 0, 1);
  return () => new Date(t += 1000);
}

/** `n` valid chained entries continuing `after` (default: an empty log). */
export async function chainOf(
  macKey: MacKey,
  n: number,
  options: {
    actor?: string;
    after?: { seq: number; hash: string };
    /** Give every other entry a request id (`req-<seq>`). */
    requestIds?: boolean;
  } = {},
): Promise<AuditEntry[]> {
  let { seq, hash } = options.after ?? { seq: 0, hash: GENESIS_HASH };
  const out: AuditEntry[] = [];
  for (let i = 0; i < n; i++) {
    const fields = {
      seq: ++seq,
      ts: new Date(Date.UTC(2030, 0, 1, 0, 0, seq)).toISOString(),
      actor: options.actor ?? "alice",
      action: "key.sign",
      key_id: i % 3 === 0 ? null : `key-${i}`,
      result: "ok",
      payload_hash: payloadHash({ n: seq }),
      ...(options.requestIds === true && seq % 2 === 0 ? { request_id: `req-${seq}` } : {}),
    };
    const mac = await computeMac(macKey, fields, hash);
    const entry = toEntry({ ...fields, prev_hash: hash, mac });
    out.push(entry);
    hash = entryHash(entry);
  }
  return out;
}

/** A fresh temporary directory; remove it with `Deno.remove(dir, { recursive: true })`. */
export function tempDir(): Promise<string> {
  return Deno.makeTempDir({ prefix: "ferrohsm-audit-" });
}
