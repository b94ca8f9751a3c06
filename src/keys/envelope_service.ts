/**
 * Envelope encryption (as AWS KMS `GenerateDataKey` / `GenerateDataKeyWithoutPlaintext`
 * and `ReEncrypt`): data keys drawn from the OS CSPRNG and returned encrypted under the
 * key's current version (and, when asked, in plaintext), and rewrap, which re-encrypts a
 * ciphertext under the current version without the plaintext ever leaving the server.
 * Both run under one audit entry each (`key.datakey`, `key.rewrap`) whose payload holds
 * sizes and versions only; plaintext data keys are wiped once encoded by the caller.
 */

import type { Actor, Guard } from "../access/guard.ts";
import { wipe } from "../core/zeroize.ts";
import { HsmError } from "../domain/errors.ts";
import {
  ciphertextText,
  countUse,
  type KeyUseDeps,
  loadVersion,
  observeUse,
  openKey,
  parseCiphertext,
} from "./key_use.ts";

/** A `datakey` request. */
export interface DataKeyRequest {
  /** Data key size: 128 or 256 bits. */
  readonly bits: 128 | 256;
  /** Return the plaintext data key too (false: only the wrapped one). */
  readonly plaintext: boolean;
  readonly aad?: Uint8Array | undefined;
}

/** A generated data key: wrapped always, plaintext when asked (the caller wipes it). */
export interface DataKey {
  readonly ciphertext: string;
  readonly plaintext?: Uint8Array;
  readonly version: number;
}

/** A `rewrap` request. */
export interface RewrapRequest {
  readonly ciphertext: string;
  readonly aad?: Uint8Array | undefined;
  /** The version of a raw (RSA-OAEP) ciphertext; `fhsm:` ciphertexts name their own. */
  readonly version?: number | undefined;
}

/** Dependencies of the envelope service. */
export interface EnvelopeServiceDeps extends KeyUseDeps {
  readonly guard: Guard;
}

/** Data keys and rewrap under policy and audit. */
export class EnvelopeService {
  readonly #deps: EnvelopeServiceDeps;

  constructor(deps: EnvelopeServiceDeps) {
    this.#deps = deps;
  }

  /**
   * Generates a data key and encrypts it under the current version (`aad` bound).
   * @throws HsmError as encrypt does (state, usage, RBAC)
   */
  dataKey(actor: Actor, id: string, req: DataKeyRequest): Promise<DataKey> {
    if (req.bits !== 128 && req.bits !== 256) {
      throw new RangeError("Data keys are 128 or 256 bits");
    }
    const payload = { bits: req.bits, plaintext: req.plaintext, aad_bytes: req.aad?.length ?? 0 };
    const deps = this.#deps;
    return deps.guard.run({ actor, action: "key.datakey", keyId: id, payload }, async (op) => {
      const opened = await openKey(deps, op, id, ["encrypt"]);
      const dataKey = crypto.getRandomValues(new Uint8Array(req.bits / 8));
      try {
        const { key, version } = await loadVersion(deps, opened, "encrypt");
        const encrypt = key.encrypt;
        if (encrypt === undefined) {
          throw new HsmError(
            "invalid_request",
            `Cannot encrypt with a ${opened.record.algorithm} key`,
          );
        }
        const wrapped = await encrypt.call(key, dataKey, req.aad);
        observeUse(deps, opened.record, "datakey", { version });
        const ciphertext = ciphertextText(opened.info, version, wrapped);
        if (!req.plaintext) return { ciphertext, version };
        return { ciphertext, plaintext: dataKey.slice(), version };
      } catch (err) {
        observeUse(deps, opened.record, "datakey", { error: err });
        throw err;
      } finally {
        wipe(dataKey);
      }
    });
  }

  /**
   * Decrypts with the version the ciphertext names and encrypts under the current one;
   * the plaintext is wiped and never returned. Needs both usages on an active key.
   * @throws HsmError("invalid_request") for a ciphertext that does not decrypt,
   * ("invalid_state") for a retired version, as decrypt and encrypt otherwise
   */
  rewrap(
    actor: Actor,
    id: string,
    req: RewrapRequest,
  ): Promise<{ ciphertext: string; version: number }> {
    const payload = {
      ciphertext_chars: req.ciphertext.length,
      aad_bytes: req.aad?.length ?? 0,
      version: req.version,
    };
    const deps = this.#deps;
    return deps.guard.run({ actor, action: "key.rewrap", keyId: id, payload }, async (op) => {
      const opened = await openKey(deps, op, id, ["decrypt", "encrypt"]);
      let plaintext: Uint8Array | undefined;
      try {
        const parsed = parseCiphertext(opened.info, req.ciphertext, req.version);
        const source = await loadVersion(deps, opened, "decrypt", parsed.version);
        const target = await loadVersion(deps, opened, "encrypt");
        if (source.key.decrypt === undefined || target.key.encrypt === undefined) {
          throw new HsmError(
            "invalid_request",
            `Cannot rewrap with a ${opened.record.algorithm} key`,
          );
        }
        plaintext = await source.key.decrypt(parsed.bytes, req.aad);
        const out = await target.key.encrypt(plaintext, req.aad);
        countUse(deps, opened.record, source.version);
        observeUse(deps, opened.record, "rewrap", { version: target.version });
        return {
          ciphertext: ciphertextText(opened.info, target.version, out),
          version: target.version,
        };
      } catch (err) {
        observeUse(deps, opened.record, "rewrap", { error: err });
        throw err;
      } finally {
        wipe(plaintext);
      }
    });
  }
}
