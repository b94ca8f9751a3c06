/**
 * Batch encrypt, decrypt and sign: up to 1000 items against one key in one call. The key
 * is read, authorized (`key:use:<family>`) and checked for state and usage once; each
 * item then succeeds or fails on its own (malformed input, a ciphertext that does not
 * decrypt, a retired or missing version, an option the algorithm does not take) and the
 * answer keeps the request's order. A failure of the batch itself (no such key, not
 * permitted, wrong state or usage, audit unavailable) fails the whole call.
 *
 * One audit entry per batch, listing one hash per item (see `batch_audit.ts` for how to
 * verify it). Items run a few at a time, so one slow item does not serialize the rest.
 */

import type { Actor, Guard } from "../access/guard.ts";
import { HsmError } from "../domain/errors.ts";
import type { KeyOperation } from "../domain/key_lifecycle.ts";
import {
  artifactDigest,
  batchAuditPayload,
  type BatchItemOutcome,
  type BatchOperation,
} from "./batch_audit.ts";
import { signOptions, type SignParams } from "./crypto_service.ts";
import {
  ciphertextText,
  type KeyUseDeps,
  loadVersion,
  observeUse,
  type OpenedKey,
  openKey,
  parseCiphertext,
} from "./key_use.ts";

/** Most items a batch may hold. */
export const MAX_BATCH_ITEMS = 1000;

/** Items processed concurrently within one batch. */
const CONCURRENCY = 4;

/**
 * One item as the transport parsed it: its parameters, or why they are invalid (with the
 * audit ref of its raw input where the operation has one, see `batch_audit.ts`).
 */
export type BatchInput<P> =
  | { readonly params: P }
  | { readonly error: HsmError; readonly ref?: string | undefined };

/** One item's answer: its value and version, or its own error. */
export type BatchResult<T> =
  | { readonly value: T; readonly version: number }
  | { readonly error: HsmError };

/** An `encrypt/batch` item. */
export interface EncryptItem {
  readonly plaintext: Uint8Array;
  readonly aad?: Uint8Array | undefined;
}

/** A `decrypt/batch` item. */
export interface DecryptItem {
  readonly ciphertext: string;
  readonly aad?: Uint8Array | undefined;
  readonly version?: number | undefined;
}

/** Dependencies of the batch service. */
export interface BatchServiceDeps extends KeyUseDeps {
  readonly guard: Guard;
}

/** What one item's work returns: its value, version and audit ref. */
interface ItemDone<T> {
  readonly value: T;
  readonly version: number;
  readonly ref?: string;
}

/** Batch operations under policy and audit. */
export class BatchService {
  readonly #deps: BatchServiceDeps;

  constructor(deps: BatchServiceDeps) {
    this.#deps = deps;
  }

  /** Encrypts every item with the current version. */
  encrypt(
    actor: Actor,
    id: string,
    items: readonly BatchInput<EncryptItem>[],
  ): Promise<BatchResult<string>[]> {
    return this.#run(actor, id, "encrypt", items, () => undefined, async (opened, item) => {
      const { key, version } = await loadVersion(this.#deps, opened, "encrypt");
      if (key.encrypt === undefined) throw cannot(opened, "encrypt");
      const text = ciphertextText(
        opened.info,
        version,
        await key.encrypt(item.plaintext, item.aad),
      );
      return { value: text, version, ref: artifactDigest(text) };
    });
  }

  /** Decrypts every item with the version its ciphertext names (or `version`, or current). */
  decrypt(
    actor: Actor,
    id: string,
    items: readonly BatchInput<DecryptItem>[],
  ): Promise<BatchResult<Uint8Array>[]> {
    const ref = (item: DecryptItem) => artifactDigest(item.ciphertext);
    return this.#run(actor, id, "decrypt", items, ref, async (opened, item) => {
      const parsed = parseCiphertext(opened.info, item.ciphertext, item.version);
      const { key, version } = await loadVersion(this.#deps, opened, "decrypt", parsed.version);
      if (key.decrypt === undefined) throw cannot(opened, "decrypt");
      return { value: await key.decrypt(parsed.bytes, item.aad), version };
    });
  }

  /** Signs every item with the current version. */
  sign(
    actor: Actor,
    id: string,
    items: readonly BatchInput<SignParams>[],
  ): Promise<BatchResult<Uint8Array>[]> {
    return this.#run(actor, id, "sign", items, () => undefined, async (opened, item) => {
      const options = signOptions(opened.record, item);
      const { key, version } = await loadVersion(this.#deps, opened, "sign");
      if (key.sign === undefined) throw cannot(opened, "sign");
      const signature = await key.sign(item.data, options);
      return { value: signature, version, ref: artifactDigest(signature) };
    });
  }

  #run<P, T>(
    actor: Actor,
    id: string,
    operation: BatchOperation & KeyOperation,
    items: readonly BatchInput<P>[],
    inputRef: (params: P) => string | undefined,
    work: (opened: OpenedKey, params: P) => Promise<ItemDone<T>>,
  ): Promise<BatchResult<T>[]> {
    if (items.length === 0 || items.length > MAX_BATCH_ITEMS) {
      throw new RangeError(`A batch holds 1 to ${MAX_BATCH_ITEMS} items`);
    }
    const deps = this.#deps;
    const request = {
      actor,
      action: `key.${operation}.batch`,
      keyId: id,
      payload: { operation, count: items.length },
    };
    return deps.guard.run(request, async (op) => {
      const opened = await openKey(deps, op, id, [operation]);
      const results: BatchResult<T>[] = new Array(items.length);
      const outcomes: BatchItemOutcome[] = new Array(items.length);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < items.length; i = next++) {
          const item = items[i] as BatchInput<P>;
          if ("error" in item) {
            results[i] = { error: item.error };
            outcomes[i] = { result: item.error.code, ref: item.ref };
            continue;
          }
          try {
            const done = await work(opened, item.params);
            results[i] = { value: done.value, version: done.version };
            outcomes[i] = {
              result: "ok",
              version: done.version,
              ref: done.ref ?? inputRef(item.params),
            };
            observeUse(deps, opened.record, operation, { version: done.version });
          } catch (err) {
            observeUse(deps, opened.record, operation, { error: err });
            if (!(err instanceof HsmError)) throw err;
            results[i] = { error: err };
            outcomes[i] = { result: err.code, ref: inputRef(item.params) };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
      op.setPayload(batchAuditPayload(operation, outcomes));
      return results;
    });
  }
}

function cannot(opened: OpenedKey, verb: string): HsmError {
  return new HsmError("invalid_request", `Cannot ${verb} with a ${opened.record.algorithm} key`);
}
