/**
 * Destruction receipts: the record that a key version's sealed material was wiped for
 * good, written to `retention-ledger.log` one JSON line each. Receipts are hash-chained
 * like the audit log (`prev_hash` is the SHA-256 of the previous line's exact bytes) and
 * each is signed with the service's Ed25519 attestation key over a domain-separated
 * canonical encoding of every other field, so anyone holding only the public key can
 * check that no receipt was edited, removed from the middle or reordered.
 *
 * Signing input: UTF-8 of `"ferrohsm destruction receipt v1\n"` followed by the
 * canonical JSON (sorted keys, no whitespace) of the receipt without `signature`.
 *
 * Caveat: like any hash chain, cutting receipts off the end is not visible from the
 * ledger alone; the audit log names every purge (`key.purge.execute`), so compare the
 * two, or keep the last receipt's hash elsewhere.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { canonicalJson } from "../core/canonical_json.ts";
import { toHex, utf8 } from "../core/encoding.ts";

/** `prev_hash` of the first receipt. */
export const GENESIS_RECEIPT_HASH = "0".repeat(64);

const DOMAIN = "ferrohsm destruction receipt v1\n";
const HEX64 = /^[0-9a-f]{64}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;

/** Why a version was wiped. */
export type ReceiptReason = "retention" | "destroy";

/** One receipt, in the ledger's field order. */
export interface Receipt {
  readonly seq: number;
  readonly ts: string;
  readonly key_id: string;
  readonly version: number;
  /** SHA-256 (hex) of the sealed blob that was wiped (see `sealedDigest`). */
  readonly material_digest: string;
  readonly approvers: readonly string[];
  readonly approval_id: string | null;
  readonly retention_class: string;
  readonly reason: ReceiptReason;
  readonly prev_hash: string;
  /** Ed25519 signature, base64url. */
  readonly signature: string;
}

/** A receipt before it is signed. */
export type UnsignedReceipt = Omit<Receipt, "signature">;

/** The bytes the attestation key signs for `receipt`. */
export function receiptSigningInput(receipt: UnsignedReceipt): Uint8Array<ArrayBuffer> {
  const { seq, ts, key_id, version, material_digest, approvers, approval_id } = receipt;
  const { retention_class, reason, prev_hash } = receipt;
  return utf8(
    DOMAIN +
      canonicalJson({
        seq,
        ts,
        key_id,
        version,
        material_digest,
        approvers,
        approval_id,
        retention_class,
        reason,
        prev_hash,
      }),
  );
}

/** The ledger line of a receipt (no newline), fields in the fixed order. */
export function receiptLine(r: Receipt): string {
  return JSON.stringify({
    seq: r.seq,
    ts: r.ts,
    key_id: r.key_id,
    version: r.version,
    material_digest: r.material_digest,
    approvers: r.approvers,
    approval_id: r.approval_id,
    retention_class: r.retention_class,
    reason: r.reason,
    prev_hash: r.prev_hash,
    signature: r.signature,
  });
}

/** SHA-256 (hex) of a ledger line: the next receipt's `prev_hash`. */
export function lineHash(line: string): string {
  return toHex(sha256(utf8(line)));
}

/**
 * SHA-256 (hex) of a sealed version's blob: length-prefixed nonce, ciphertext and MAC
 * (what the store held, never the material itself).
 */
export function sealedDigest(
  sealed: { nonce: Uint8Array; ciphertext: Uint8Array; mac: Uint8Array },
): string {
  const parts = [sealed.nonce, sealed.ciphertext, sealed.mac];
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    view.setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return toHex(sha256(out));
}

/** Parses one ledger line strictly; undefined when it is not a receipt. */
export function parseReceipt(line: string): Receipt | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const r = value as Record<string, unknown>;
  const keys = [
    "seq",
    "ts",
    "key_id",
    "version",
    "material_digest",
    "approvers",
    "approval_id",
    "retention_class",
    "reason",
    "prev_hash",
    "signature",
  ];
  if (Object.keys(r).length !== keys.length || !keys.every((k) => Object.hasOwn(r, k))) {
    return undefined;
  }
  const ok = Number.isSafeInteger(r.seq) && (r.seq as number) >= 1 &&
    typeof r.ts === "string" && typeof r.key_id === "string" &&
    Number.isSafeInteger(r.version) && (r.version as number) >= 1 &&
    typeof r.material_digest === "string" && HEX64.test(r.material_digest) &&
    Array.isArray(r.approvers) && r.approvers.every((a) => typeof a === "string") &&
    (r.approval_id === null || typeof r.approval_id === "string") &&
    typeof r.retention_class === "string" &&
    (r.reason === "retention" || r.reason === "destroy") &&
    typeof r.prev_hash === "string" && HEX64.test(r.prev_hash) &&
    typeof r.signature === "string" && B64URL.test(r.signature);
  return ok ? r as unknown as Receipt : undefined;
}
