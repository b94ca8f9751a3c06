/**
 * The retention ledger: appends signed, hash-chained destruction receipts (see
 * `receipts.ts`) to a LedgerStore and lists them. Each receipt is chained onto the last
 * line the store holds when it appends (under the store's lock), so the chain stays
 * linear even if another process appended meanwhile. At open the whole ledger is
 * verified with the attestation key's public half; a ledger that does not verify is
 * refused (`integrity_error`) rather than extended, as the audit log does, and a last
 * line that does not parse refuses any append.
 */

import { toBase64Url } from "../core/encoding.ts";
import { HsmError } from "../domain/errors.ts";
import type { LedgerStore } from "../storage/ports.ts";
import type { AttestationKey } from "./attestation.ts";
import {
  GENESIS_RECEIPT_HASH,
  lineHash,
  parseReceipt,
  type Receipt,
  receiptLine,
  receiptSigningInput,
  type UnsignedReceipt,
} from "./receipts.ts";
import { importAttestationKey, verifyReceiptLines } from "./receipt_verify.ts";

/** What a caller records; the ledger adds seq, prev_hash and the signature. */
export type ReceiptInput = Omit<UnsignedReceipt, "seq" | "prev_hash">;

/** The ledger over a store and the attestation key. */
export class ReceiptLedger {
  readonly #store: LedgerStore;
  readonly #key: AttestationKey;

  private constructor(store: LedgerStore, key: AttestationKey) {
    this.#store = store;
    this.#key = key;
  }

  /**
   * Verifies the stored ledger and opens it for appending.
   * @throws HsmError("integrity_error") naming the first bad receipt
   */
  static async open(store: LedgerStore, key: AttestationKey): Promise<ReceiptLedger> {
    const lines = await store.lines();
    const result = await verifyReceiptLines(lines, await importAttestationKey(key.pem));
    if (!result.valid) {
      throw new HsmError(
        "integrity_error",
        `Retention ledger receipt ${result.first_bad_seq} fails verification (${result.reason})`,
      );
    }
    return new ReceiptLedger(store, key);
  }

  /**
   * Signs and appends one receipt; resolves with it once durable.
   * @throws HsmError("integrity_error") when the ledger's last line is not a receipt
   */
  async append(input: ReceiptInput): Promise<Receipt> {
    let receipt: Receipt | undefined;
    await this.#store.append(async (last) => {
      let seq = 0;
      let prevHash = GENESIS_RECEIPT_HASH;
      if (last !== undefined) {
        const previous = parseReceipt(last);
        if (previous === undefined) {
          throw new HsmError(
            "integrity_error",
            "The retention ledger's last line is not a receipt",
          );
        }
        seq = previous.seq;
        prevHash = lineHash(last);
      }
      const unsigned: UnsignedReceipt = {
        seq: seq + 1,
        ts: input.ts,
        key_id: input.key_id,
        version: input.version,
        material_digest: input.material_digest,
        approvers: [...input.approvers],
        approval_id: input.approval_id,
        retention_class: input.retention_class,
        reason: input.reason,
        prev_hash: prevHash,
      };
      const signature = toBase64Url(await this.#key.sign(receiptSigningInput(unsigned)));
      receipt = { ...unsigned, signature };
      return receiptLine(receipt);
    });
    return receipt as Receipt;
  }

  /** Receipts with seq > afterSeq, ascending, at most `limit`. */
  async list(afterSeq: number, limit: number): Promise<Receipt[]> {
    const out: Receipt[] = [];
    for (const line of await this.#store.lines()) {
      const receipt = parseReceipt(line);
      if (receipt === undefined) throw new HsmError("integrity_error", "Malformed receipt");
      if (receipt.seq > afterSeq) out.push(receipt);
      if (out.length >= limit) break;
    }
    return out;
  }
}
