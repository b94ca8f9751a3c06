/**
 * The retention attestation key: an Ed25519 key the service generates at its first start
 * and keeps sealed like a key version (AES-256-GCM under the sealing key, HMAC'd, bound
 * to the id `retention-attestation`), with which it signs destruction receipts. Only its
 * public half ever leaves: `GET /api/v1/retention/attestation-key` serves it as SPKI PEM
 * and JWK so receipts can be checked offline.
 *
 * The private half exists unsealed only inside the core's Ed25519 provider, as a
 * non-extractable CryptoKey (its raw bytes wiped after import). A sealed file that fails
 * its integrity check refuses start-up rather than silently minting a new key, which
 * would split the ledger between two keys.
 */

import { providerFor } from "../core/providers/index.ts";
import type { LoadedKey } from "../core/provider.ts";
import { toPem } from "../core/pem.ts";
import type { Sealer } from "../core/sealing.ts";
import { wipe } from "../core/zeroize.ts";
import type { SealedVersion } from "../domain/records.ts";

/** The sealed id of the attestation key. */
export const ATTESTATION_KEY_ID = "retention-attestation";

/** Where the sealed key is kept (a data dir file or a shared row, see `src/server/`). */
export interface SealedKeyFile {
  /** The sealed key, or undefined before the first start. */
  load(): Promise<SealedVersion | undefined>;
  /** Stores the sealed key durably unless one is stored already (the first start). */
  save(sealed: SealedVersion): Promise<void>;
}

/** The attestation key, loaded. */
export class AttestationKey {
  readonly #key: LoadedKey;
  /** SPKI PEM of the public key. */
  readonly pem: string;
  /** The public key as a JWK (`kty: OKP`, `crv: Ed25519`). */
  readonly jwk: Readonly<Record<string, unknown>>;

  private constructor(key: LoadedKey, pem: string, jwk: Record<string, unknown>) {
    this.#key = key;
    this.pem = pem;
    this.jwk = Object.freeze({ ...jwk });
  }

  /**
   * Loads the sealed key, generating and sealing one first when none exists.
   * @throws HsmError("integrity_error") when the stored key fails its check
   */
  static async open(
    sealer: Sealer,
    file: SealedKeyFile,
    now = new Date(),
  ): Promise<AttestationKey> {
    const meta = {
      keyId: ATTESTATION_KEY_ID,
      version: 1,
      algorithm: "Ed25519" as const,
      usage: ["sign" as const],
      createdAt: now.toISOString(),
    };
    let sealed = await file.load();
    if (sealed === undefined) {
      const material = await providerFor("Ed25519").generate("Ed25519");
      try {
        sealed = await sealer.seal(meta, material);
      } finally {
        wipe(material);
      }
      await file.save(sealed);
      // Another process sharing the store may have saved its own first: use the stored one.
      sealed = (await file.load()) ?? sealed;
    }
    const material = await sealer.unseal(sealed, { keyId: ATTESTATION_KEY_ID, version: 1 });
    const key = await providerFor("Ed25519").load("Ed25519", material); // wipes material
    const pub = key.publicKey?.();
    if (key.sign === undefined || pub === undefined) {
      throw new TypeError("An Ed25519 key signs and exports its public half");
    }
    return new AttestationKey(key, toPem("PUBLIC KEY", pub.spki), pub.jwk);
  }

  /** An Ed25519 signature over `data`. */
  async sign(data: Uint8Array): Promise<Uint8Array> {
    return await (this.#key.sign as NonNullable<LoadedKey["sign"]>).call(this.#key, data, {});
  }

  /** Wipes the private half. */
  dispose(): void {
    this.#key.dispose();
  }
}
