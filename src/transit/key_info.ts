/**
 * The `data` of `GET /v1/transit/keys/:name`: Vault's key description built from a
 * FerroHSM key record, its versions and (asymmetric keys) each version's public key:
 * SPKI PEM for ECDSA and RSA, the raw 32-byte key in base64 for Ed25519, as Vault and
 * the tools reading it (cosign) expect. Never any secret material.
 *
 * Fields FerroHSM does not implement keep Vault's "off" value: keys are never
 * exportable or derived, no plaintext backup, no automatic rotation.
 */

import type { Actor } from "../access/guard.ts";
import { fromBase64Url, toBase64 } from "../core/encoding.ts";
import type { KeyRecord } from "../domain/records.ts";
import type { CryptoService } from "../keys/crypto_service.ts";
import type { KeyService } from "../keys/key_service.ts";
import { typeOfAlgorithm } from "./key_types.ts";

/** The services the description is read through (each read is authorized and audited). */
export interface KeyInfoServices {
  readonly keys: KeyService;
  readonly crypto: CryptoService;
}

/** One asymmetric version as Vault shows it. */
interface PublicVersion {
  readonly creation_time: string;
  readonly name: string;
  readonly public_key: string;
}

/** Vault's description of the key behind a Transit name. */
export async function transitKeyInfo(
  services: KeyInfoServices,
  actor: Actor,
  name: string,
  record: KeyRecord,
): Promise<Record<string, unknown>> {
  const type = typeOfAlgorithm(record.algorithm);
  const versions = (await services.keys.versions(actor, record.id))
    .filter((v) => v.state !== "destroyed");
  const keys: Record<string, number | PublicVersion> = {};
  for (const v of versions) {
    if (type.publicKeyFormat === undefined) {
      keys[String(v.version)] = Math.floor(Date.parse(v.createdAt) / 1000);
      continue;
    }
    const view = await services.crypto.publicKey(actor, record.id, v.version);
    const x = view.jwk.x;
    keys[String(v.version)] = {
      creation_time: v.createdAt,
      name: type.publicKeyName ?? type.type,
      public_key: type.publicKeyFormat === "raw" && typeof x === "string"
        ? toBase64(fromBase64Url(x) ?? new Uint8Array(0))
        : view.pem,
    };
  }
  const usage = new Set(record.usage);
  return {
    name,
    type: type.type,
    keys,
    latest_version: record.currentVersion,
    min_available_version: 0,
    min_decryption_version: 1,
    min_encryption_version: 0,
    deletion_allowed: false,
    exportable: false,
    allow_plaintext_backup: false,
    derived: false,
    imported_key: false,
    auto_rotate_period: 0,
    supports_encryption: usage.has("encrypt"),
    supports_decryption: usage.has("decrypt"),
    supports_derivation: false,
    supports_signing: usage.has("sign"),
    ...(type.type === "hmac" ? { key_size: 32 } : {}),
    // FerroHSM's own view of the key, for operators correlating with /api/v1 and audit.
    ferrohsm: { id: record.id, algorithm: record.algorithm, state: record.state },
  };
}
