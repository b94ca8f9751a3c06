/**
 * How a batch call is audited: one audit entry per batch (`key.encrypt.batch`,
 * `key.decrypt.batch`, `key.sign.batch`) whose payload lists one hash per item, in
 * order. The log stores only the payload's hash (`payload_hash`), so whoever holds the
 * request and the answer can recompute the payload with these functions and check it
 * against the entry; nothing secret enters a hash:
 *
 *   item hash = hex SHA-256 of canonical JSON {index, result, version?, ref?}
 *   result    = "ok", or the item's error code
 *   version   = the version in the item's answer (successful items only)
 *   ref       = hex SHA-256 (`artifactDigest`) of the item's non-secret artifact:
 *               encrypt: the returned ciphertext text (successful items only);
 *               decrypt: the `ciphertext` text sent, whenever the item has one (a string);
 *               sign: the returned signature bytes, base64-decoded (successful items only)
 *   payload   = {operation, count, ok, failed, items: [item hash, ...]}
 *
 * (canonical JSON drops absent members; index is 0-based.)
 *
 * Plaintexts (encrypt input, decrypt output) and messages to sign are never hashed.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { canonicalJson } from "../core/canonical_json.ts";
import { toHex, utf8 } from "../core/encoding.ts";

/** The operations with a batch form. */
export type BatchOperation = "encrypt" | "decrypt" | "sign";

/** What the audit records of one item. */
export interface BatchItemOutcome {
  /** "ok" or the item's error code. */
  readonly result: string;
  /** The key version that served the item, when known. */
  readonly version?: number | undefined;
  /** `artifactDigest` of the item's non-secret artifact, when it has one. */
  readonly ref?: string | undefined;
}

/** The audit payload of one batch. */
export interface BatchAuditPayload {
  readonly operation: BatchOperation;
  readonly count: number;
  readonly ok: number;
  readonly failed: number;
  readonly items: readonly string[];
}

/** Hex SHA-256 of an artifact: a ciphertext text (UTF-8) or signature bytes. */
export function artifactDigest(artifact: string | Uint8Array): string {
  return toHex(sha256(typeof artifact === "string" ? utf8(artifact) : artifact));
}

/** The hash of item `index` of a batch. */
export function batchItemHash(index: number, outcome: BatchItemOutcome): string {
  return toHex(sha256(utf8(canonicalJson({
    index,
    result: outcome.result,
    version: outcome.version,
    ref: outcome.ref,
  }))));
}

/** The audit payload of a batch of `operation` with these outcomes, in order. */
export function batchAuditPayload(
  operation: BatchOperation,
  outcomes: readonly BatchItemOutcome[],
): BatchAuditPayload {
  const ok = outcomes.filter((o) => o.result === "ok").length;
  return {
    operation,
    count: outcomes.length,
    ok,
    failed: outcomes.length - ok,
    items: outcomes.map((o, i) => batchItemHash(i, o)),
  };
}
