/**
 * The audit hash chain's primitives: the canonical byte encoding of an entry, the
 * entry hash that links entries (`prev_hash`), the per-entry HMAC, the payload hash,
 * and the derivation of the audit MAC key from the operator's HMAC key.
 *
 * Canonical encoding, used for both the MAC input and the entry hash:
 *   lp(domain) ‖ u64be(seq) ‖ lp(ts) ‖ lp(actor) ‖ lp(action) ‖ keyId ‖ lp(result)
 *   ‖ lp(payload_hash) ‖ lp(prev_hash) [‖ 0x01 ‖ lp(records)] [‖ 0x02 ‖ lp(request_id)]
 * where lp(s) = u32be(byte length) ‖ UTF-8 bytes, keyId = 0x00 for null or
 * 0x01 ‖ lp(key_id), and domain is "ferrohsm audit mac v1" for the MAC input and
 * "ferrohsm audit entry v2" for the entry hash. The hash chain links the entries'
 * contents and each MAC authenticates one entry and its link; the MAC is not itself
 * hashed, so the MACs of a batch can be computed in parallel once the links are. Length
 * prefixes make the encoding injective; the domains keep a MAC input from ever
 * being an entry-hash input. Hex fields are lowercase, strings well-formed Unicode
 * (lone surrogates would make two strings share one UTF-8 encoding).
 *
 * Each entry is encoded once (`sealEntry`): the encoding after the domain is shared by
 * the MAC input and the entry hash, and both are computed synchronously with
 * `@noble/hashes` (no Web Crypto round trip per entry; the MACs are byte-identical).
 *
 * Security caveats: the derived MAC key is held in memory by `MacKey`
 * (core/mac_key.ts: one private buffer, wiped on close); the chain proves
 * that entries were written by a holder of the HMAC key and detects edits,
 * deletions and reordering, but not truncation of the tail (see anchor.ts).
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { deriveMacKey, type MacKey } from "../core/mac_key.ts";
import type { AuditEntry } from "../domain/audit_entry.ts";
import { canonicalJson } from "../core/canonical_json.ts";
import { fromHex, toHex, utf8 } from "../core/encoding.ts";

/** prev_hash of the first entry: 64 zeros. */
export const GENESIS_HASH = "0".repeat(64);

export { MacKey } from "../core/mac_key.ts";

/** An entry's MAC'd fields other than `prev_hash` and `mac`. */
export type AuditFields = Omit<AuditEntry, "prev_hash" | "mac">;

const MAC_DOMAIN = "ferrohsm audit mac v1";
const ENTRY_DOMAIN = "ferrohsm audit entry v2";
const KDF_INFO = "ferrohsm audit mac v1";
const MAC_RE = /^[0-9a-f]{96}$/;
const ENCODER = new TextEncoder();
/** lp(domain) of the MAC input and of the entry hash input (the encoding starts with it). */
const MAC_PREFIX = lp(MAC_DOMAIN);
const ENTRY_PREFIX = lp(ENTRY_DOMAIN);

/**
 * Derives the audit MAC key from the operator's raw 32-byte HMAC key:
 * HKDF-SHA-384 (empty salt, info "ferrohsm audit mac v1", 48 bytes), the key of
 * HMAC-SHA-384. The server and offline verification share it. The caller closes it.
 */
export async function deriveAuditMacKey(rawHmacKey: Uint8Array): Promise<MacKey> {
  if (rawHmacKey.length !== 32) throw new RangeError("The HMAC key must be 32 bytes");
  return await deriveMacKey(rawHmacKey, KDF_INFO);
}

/** An entry's MAC and hash, from one encoding. */
export interface SealedEntry {
  /** Hex HMAC-SHA-384 (the entry's `mac`). */
  readonly mac: string;
  /** Hex SHA-256 (the next entry's `prev_hash`). */
  readonly hash: string;
}

/**
 * The MAC and the entry hash of `fields` linked after `prevHash`, from one encoding of
 * the entry: `mac` = computeMac, `hash` = entryHash of the entry. Synchronous.
 */
export function sealEntry(
  macKey: MacKey,
  fields: AuditFields,
  prevHash: string,
): SealedEntry {
  const body = encodeBody(fields, prevHash);
  return {
    mac: toHex(macKey.mac(MAC_PREFIX, body)),
    hash: toHex(sha256.create().update(ENTRY_PREFIX).update(body).digest()),
  };
}

/** Hex HMAC-SHA-384 over the canonical encoding of `fields` and `prevHash`. */
export function computeMac(
  macKey: MacKey,
  fields: AuditFields,
  prevHash: string,
): string {
  return toHex(macKey.mac(MAC_PREFIX, encodeBody(fields, prevHash)));
}

/** True when `entry.mac` is the MAC of its other fields (constant-time compare). */
export function verifyMac(macKey: MacKey, entry: AuditEntry): boolean {
  const mac = MAC_RE.test(entry.mac) ? fromHex(entry.mac) : undefined;
  if (mac === undefined) return false;
  return macKey.verify(mac, MAC_PREFIX, encodeBody(entry, entry.prev_hash));
}

/** Hex SHA-256 over the canonical entry (fields and prev_hash): the next entry's prev_hash. */
export function entryHash(entry: AuditFields & { readonly prev_hash: string }): string {
  return toHex(
    sha256.create().update(ENTRY_PREFIX).update(encodeBody(entry, entry.prev_hash)).digest(),
  );
}

/**
 * Hex SHA-256 of the canonical JSON (sorted keys, RFC 8785 style) of a request
 * payload. `undefined` hashes as `null`; byte arrays as their base64 text.
 * @throws TypeError for values JSON cannot represent (functions, bigint, cycles, NaN)
 */
export function payloadHash(value: unknown): string {
  return toHex(sha256(utf8(canonicalJson(value))));
}

/** The encoding after its domain: shared by the MAC input and the entry hash input. */
function encodeBody(f: AuditFields, prevHash: string): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(f.seq) || f.seq < 0) throw new RangeError("Invalid audit seq");
  // One buffer sized for the worst case (3 UTF-8 bytes per UTF-16 unit), filled in place
  // with encodeInto: the same bytes as lp(utf8(text)) per field, without a copy per field.
  let max = 8 + 1 + 2;
  for (const text of [f.ts, f.actor, f.action, f.key_id, f.result, f.payload_hash, prevHash]) {
    max += 4 + 3 * (text?.length ?? 0);
  }
  if (f.records !== undefined) max += 5 + 3 * f.records.length;
  if (f.request_id !== undefined) max += 5 + 3 * f.request_id.length;
  const out = new Uint8Array(max);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(f.seq));
  let at = 8;
  const put = (text: string) => {
    const { written } = ENCODER.encodeInto(text, out.subarray(at + 4));
    view.setUint32(at, written);
    at += 4 + written;
  };
  const mark = (byte: number) => {
    out[at++] = byte;
  };
  put(f.ts);
  put(f.actor);
  put(f.action);
  if (f.key_id === null) mark(0);
  else {
    mark(1);
    put(f.key_id);
  }
  put(f.result);
  put(f.payload_hash);
  put(prevHash);
  // Journal refs extend the encoding only when present, so entries without them encode
  // (and verify) exactly as before; the trailing marker keeps the encoding injective.
  if (f.records !== undefined) {
    mark(1);
    put(f.records);
  }
  // The request id follows the same rule, under its own marker.
  if (f.request_id !== undefined) {
    mark(2);
    put(f.request_id);
  }
  return out.subarray(0, at);
}

function lp(text: string): Uint8Array<ArrayBuffer> {
  const bytes = utf8(text);
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}
