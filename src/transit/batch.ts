/**
 * Vault's `batch_input`: each item runs on its own (through the same guarded service
 * call as a single request, so each is authorized and audited), results keep the input
 * order, and a failed item carries `error` instead of a result; every result echoes the
 * item's `reference` (empty when absent) for correlation. The status follows
 * Vault: 200 when every item succeeded; otherwise 400 for user errors, or the server
 * error's status (500/503) when an item failed on the server side, unless the caller
 * set `partial_failure_response_code` and some items succeeded.
 */

import { HsmError } from "../domain/errors.ts";
import { vaultMessage, vaultStatus } from "./vault_http.ts";
import type { VaultFields } from "./vault_format.ts";

/** One item's result, or its error. */
export type BatchResult<T> = (T | { readonly error: string }) & { readonly reference: string };

/** The results of a batch and the status to answer with. */
export interface BatchOutcome<T> {
  readonly results: BatchResult<T>[];
  readonly status: number;
}

/**
 * Runs `fn` on every item in order, one at a time (an item's failure does not stop the
 * next). `partialFailureCode` is the request's `partial_failure_response_code`, if any.
 */
export async function runBatch<T extends object>(
  items: readonly VaultFields[],
  fn: (item: VaultFields) => Promise<T>,
  partialFailureCode?: number,
): Promise<BatchOutcome<T>> {
  const results: BatchResult<T>[] = [];
  let worst = 200;
  let succeeded = 0;
  for (const item of items) {
    let reference = "";
    try {
      reference = item.string("reference") ?? "";
      results.push({ ...(await fn(item)), reference });
      succeeded++;
    } catch (err) {
      const e = err instanceof HsmError ? err : new HsmError("internal", "Internal error");
      results.push({ error: vaultMessage(e), reference });
      const status = vaultStatus(e.code);
      worst = Math.max(worst, status >= 500 ? status : 400);
    }
  }
  if (worst === 200) return { results, status: 200 };
  const partial = partialFailureCode !== undefined && partialFailureCode >= 200 &&
    partialFailureCode <= 599 && succeeded > 0;
  return { results, status: partial ? partialFailureCode : worst };
}
