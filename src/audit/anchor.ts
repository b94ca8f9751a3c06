/**
 * The audit anchor: a MAC'd `{seq, hash}` of the last durable entry, kept beside the
 * log so that truncation or deletion of the log's tail (invisible to the chain itself)
 * is detected: a log that ends before the anchor's seq was truncated.
 *
 * The log writes the anchor only after a batch is durable, so the anchor never runs
 * ahead of the log, and at most every `anchorIntervalMs` (audit_log.ts), so it may lag
 * the log by that long plus one write (see `storage/file/anchor_store.ts` for how it is
 * stored).
 *
 * Security caveats: the MAC (HMAC-SHA-384 under the audit MAC key, domain separated
 * from entry MACs) stops forging an anchor, not replaying an older one. Whoever can
 * write the data directory can swap in an older anchor together with a truncated log,
 * or delete both. Export the head hash (`GET /api/v1/audit/verify`) to an external
 * system to detect that.
 */

import { type AnchorRecord, isAnchorRecord } from "../domain/audit_entry.ts";
import { fromHex, toHex, utf8 } from "../core/encoding.ts";
import type { MacKey } from "./chain.ts";

const DOMAIN = "ferrohsm audit anchor v1";

/** Signs `{seq, hash}` into an anchor record. */
export function signAnchor(macKey: MacKey, seq: number, hash: string): AnchorRecord {
  return { seq, hash, mac: toHex(macKey.mac(anchorInput(seq, hash))) };
}

/** True when the anchor's MAC is valid under `macKey`. */
export function verifyAnchor(macKey: MacKey, record: AnchorRecord): boolean {
  if (!isAnchorRecord(record)) return false;
  const mac = fromHex(record.mac);
  if (mac === undefined) return false;
  return macKey.verify(mac, anchorInput(record.seq, record.hash));
}

function anchorInput(seq: number, hash: string): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError("Invalid anchor seq");
  const domain = utf8(DOMAIN);
  const hashBytes = utf8(hash);
  const out = new Uint8Array(4 + domain.length + 8 + 4 + hashBytes.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, domain.length);
  out.set(domain, 4);
  view.setBigUint64(4 + domain.length, BigInt(seq));
  view.setUint32(12 + domain.length, hashBytes.length);
  out.set(hashBytes, 16 + domain.length);
  return out;
}
