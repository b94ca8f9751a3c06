/**
 * The steps every key operation outside CryptoService shares (data keys, rewrap, batches,
 * JWT signing), inside a guarded operation: read the verified record, authorize
 * `key:use:<family>`, check the key's state and usages, pass the policy gate, then load a
 * version, refusing a retired version for consuming operations. Successful operations are counted against
 * their version and observed (metrics) like CryptoService's.
 */

import type { GuardedOp } from "../access/guard.ts";
import { keyUseAction } from "../access/rbac.ts";
import { type AlgorithmInfo, algorithmInfo } from "../core/algorithms.ts";
import { fromBase64, toBase64 } from "../core/encoding.ts";
import type { LoadedKey } from "../core/provider.ts";
import { HsmError } from "../domain/errors.ts";
import { chooseVersion, type KeyOperation, requireUsable } from "../domain/key_lifecycle.ts";
import { requireVersionFor } from "../domain/key_schedule.ts";
import type { KeyRecord } from "../domain/records.ts";
import type { CryptoOperationObserver } from "./crypto_service.ts";
import type { KeyLoader } from "./key_loader.ts";
import type { KeyRecords } from "./key_records.ts";
import type { UsageRecorder } from "./usage_counters.ts";

/** What a key use needs. */
export interface KeyUseDeps {
  readonly records: KeyRecords;
  readonly loader: KeyLoader;
  /** Counts each successful operation against its version. */
  readonly usage?: UsageRecorder | undefined;
  /** Observes each operation (metrics): algorithm, operation, "ok" or the error code. */
  readonly onOperation?: CryptoOperationObserver | undefined;
}

/** A key opened for use inside a guarded operation. */
export interface OpenedKey {
  readonly record: KeyRecord;
  readonly info: AlgorithmInfo;
}

/**
 * Reads and checks key `id` for `operations` (each must be allowed by state and usage),
 * authorizes the actor for the key's family and passes the policy gate (once, with the
 * key's current version, before anything is loaded or used).
 * @throws HsmError("not_found" | "forbidden" | "invalid_state" | "invalid_request" |
 *   "policy_denied")
 */
export async function openKey(
  deps: KeyUseDeps,
  op: GuardedOp,
  id: string,
  operations: readonly KeyOperation[],
): Promise<OpenedKey> {
  const record = await deps.records.get(id);
  const info = algorithmInfo(record.algorithm);
  if (info === undefined) throw new HsmError("integrity_error", `Key ${id} is unreadable`);
  op.authorize(keyUseAction(info.family));
  for (const operation of operations) requireUsable(record, operation);
  await op.admit(record);
  return { record, info };
}

/**
 * Loads the version `operation` uses (`requested`, or the current one), refusing a
 * retired version for consuming operations.
 * @throws HsmError("not_found") for a version the key lacks, ("invalid_state") if retired
 */
export async function loadVersion(
  deps: KeyUseDeps,
  opened: OpenedKey,
  operation: KeyOperation,
  requested?: number,
): Promise<{ key: LoadedKey; version: number }> {
  const { record } = opened;
  const version = chooseVersion(record, requested);
  requireVersionFor(record, operation, version);
  return { key: await deps.loader.load(record.id, version, record.algorithm), version };
}

/** Records a finished operation in the usage counters and metrics (never throws). */
export function observeUse(
  deps: KeyUseDeps,
  record: KeyRecord,
  operation: string,
  outcome: { readonly version?: number; readonly count?: number; readonly error?: unknown },
): void {
  try {
    if (outcome.error === undefined && outcome.version !== undefined) {
      deps.usage?.record(record.id, outcome.version, outcome.count ?? 1);
    }
    const result = outcome.error === undefined
      ? "ok"
      : outcome.error instanceof HsmError
      ? outcome.error.code
      : "internal";
    deps.onOperation?.(record.algorithm, operation, result);
  } catch {
    // Observers must never affect an operation.
  }
}

/** Counts operations against a version in the usage counters only (never throws). */
export function countUse(deps: KeyUseDeps, record: KeyRecord, version: number, count = 1): void {
  try {
    deps.usage?.record(record.id, version, count);
  } catch {
    // Counters must never affect an operation.
  }
}

/** The versioned ciphertext text of an algorithm (`fhsm:v<N>:` for symmetric ciphers). */
export function ciphertextText(info: AlgorithmInfo, version: number, bytes: Uint8Array): string {
  return info.ciphertext === "versioned" ? `fhsm:v${version}:${toBase64(bytes)}` : toBase64(bytes);
}

const CIPHERTEXT_RE = /^fhsm:v([1-9][0-9]{0,8}):([A-Za-z0-9+/=]+)$/;

/**
 * Parses a ciphertext for `info`: `fhsm:v<N>:<base64>` for symmetric ciphers (its version
 * wins), plain base64 otherwise (the version is `version`, or the current one).
 * @throws HsmError("invalid_request") when it is not in the algorithm's format
 */
export function parseCiphertext(
  info: AlgorithmInfo,
  text: string,
  version?: number,
): { bytes: Uint8Array; version: number | undefined } {
  if (info.ciphertext === "versioned") {
    const m = CIPHERTEXT_RE.exec(text);
    const bytes = m === null ? undefined : fromBase64(m[2] as string);
    if (m === null || bytes === undefined) {
      throw new HsmError(
        "invalid_request",
        "Invalid ciphertext: expected fhsm:v<version>:<base64>",
      );
    }
    return { bytes, version: Number(m[1]) };
  }
  const bytes = fromBase64(text);
  if (bytes === undefined) throw new HsmError("invalid_request", "Invalid ciphertext encoding");
  return { bytes, version };
}
