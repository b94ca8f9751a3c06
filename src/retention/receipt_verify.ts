/**
 * Offline verification of a destruction-receipt ledger with only the attestation public
 * key (`ferrohsm retention verify-receipts`): every line must parse, seqs run from 1
 * without a gap, each `prev_hash` is the hash of the line before, and each signature
 * verifies. The first failure is reported with its line's seq and a reason.
 *
 * Accepts the public key as SPKI PEM or as a JWK (`{"kty":"OKP","crv":"Ed25519","x"}`),
 * the two forms `GET /api/v1/retention/attestation-key` returns.
 */

import { fromBase64, fromBase64Url, fromUtf8 } from "../core/encoding.ts";
import { HsmError } from "../domain/errors.ts";
import {
  GENESIS_RECEIPT_HASH,
  lineHash,
  parseReceipt,
  type Receipt,
  receiptSigningInput,
} from "./receipts.ts";

/** Why a ledger fails verification. */
export type ReceiptFailure = "malformed" | "sequence_gap" | "chain_broken" | "bad_signature";

/** The outcome of verifying a ledger. */
export type ReceiptVerification =
  | { readonly valid: true; readonly receipts: number; readonly head: string }
  | { readonly valid: false; readonly first_bad_seq: number; readonly reason: ReceiptFailure };

/**
 * Imports an Ed25519 public key from SPKI PEM or JWK text.
 * @throws HsmError("invalid_request") when the text is neither
 */
export async function importAttestationKey(text: string): Promise<CryptoKey> {
  const trimmed = text.trim();
  try {
    if (trimmed.startsWith("{")) {
      const jwk = JSON.parse(trimmed) as JsonWebKey;
      if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") {
        throw new TypeError("not an Ed25519 JWK");
      }
      return await crypto.subtle.importKey(
        "jwk",
        { kty: "OKP", crv: "Ed25519", x: jwk.x },
        { name: "Ed25519" },
        true,
        ["verify"],
      );
    }
    const m = /-----BEGIN PUBLIC KEY-----([^-]+)-----END PUBLIC KEY-----/.exec(trimmed);
    const der = m === null ? undefined : fromBase64((m[1] as string).replace(/\s+/g, ""));
    if (der === undefined) throw new TypeError("not a PEM public key");
    return await crypto.subtle.importKey("spki", der, { name: "Ed25519" }, true, ["verify"]);
  } catch (err) {
    throw new HsmError(
      "invalid_request",
      "Cannot read the attestation public key: expected an Ed25519 SPKI PEM or JWK",
      { cause: err },
    );
  }
}

/** Verifies ledger lines (in file order) against `publicKey`. */
export async function verifyReceiptLines(
  lines: Iterable<string> | AsyncIterable<string>,
  publicKey: CryptoKey,
): Promise<ReceiptVerification> {
  let expected = 1;
  let head = GENESIS_RECEIPT_HASH;
  for await (const line of lines) {
    const receipt = parseReceipt(line);
    if (receipt === undefined) return fail(expected, "malformed");
    if (receipt.seq !== expected) return fail(expected, "sequence_gap");
    if (receipt.prev_hash !== head) return fail(receipt.seq, "chain_broken");
    if (!(await signatureHolds(receipt, publicKey))) return fail(receipt.seq, "bad_signature");
    head = lineHash(line);
    expected++;
  }
  return { valid: true, receipts: expected - 1, head };
}

/** Splits a ledger file's bytes into its lines (a missing final newline is tolerated). */
export function ledgerLines(bytes: Uint8Array): string[] {
  const text = fromUtf8(bytes);
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

async function signatureHolds(receipt: Receipt, publicKey: CryptoKey): Promise<boolean> {
  const signature = fromBase64Url(receipt.signature);
  if (signature === undefined || signature.length !== 64) return false;
  const { signature: _s, ...unsigned } = receipt;
  return await crypto.subtle.verify(
    "Ed25519",
    publicKey,
    signature,
    receiptSigningInput(unsigned),
  );
}

function fail(first_bad_seq: number, reason: ReceiptFailure): ReceiptVerification {
  return { valid: false, first_bad_seq, reason };
}
