/**
 * Where the sealed retention attestation key lives: `<data-dir>/retention-attestation.json`
 * (written once, 0600, durably, never overwritten), or, for a cluster node on PostgreSQL,
 * one `service_keys` row shared by every node (the first node to start generates it).
 * Either way the form is the sealed version's fields with base64 byte fields: only sealed
 * bytes are stored.
 */

import { join } from "node:path";
import { fromBase64, fromUtf8, toBase64, utf8 } from "../core/encoding.ts";
import { HsmError } from "../domain/errors.ts";
import type { SealedVersion } from "../domain/records.ts";
import { ATTESTATION_KEY_ID, type SealedKeyFile } from "../retention/attestation.ts";
import type { PostgresServiceKeys } from "../storage/postgres/service_keys.ts";
import { sealedVersionProblem } from "../storage/records.ts";
import { writeFileDurably } from "../util/fs.ts";

/** The attestation key file of a data dir. */
export function attestationKeyFile(dataDir: string): SealedKeyFile {
  const path = join(dataDir, "retention-attestation.json");
  return {
    async load() {
      let text: string;
      try {
        text = fromUtf8(await Deno.readFile(path));
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return undefined;
        throw err;
      }
      return decodeSealed(text, path);
    },
    async save(sealed) {
      await writeFileDurably(path, utf8(encodeSealed(sealed)));
    },
  };
}

/** The attestation key row shared by the nodes of a cluster. */
export function attestationKeyRow(keys: PostgresServiceKeys): SealedKeyFile {
  const where = `service key ${ATTESTATION_KEY_ID}`;
  return {
    async load() {
      const text = await keys.get(ATTESTATION_KEY_ID);
      return text === undefined ? undefined : decodeSealed(text, where);
    },
    async save(sealed) {
      await keys.putOnce(ATTESTATION_KEY_ID, encodeSealed(sealed));
    },
  };
}

function encodeSealed(sealed: SealedVersion): string {
  return JSON.stringify({
    keyId: sealed.keyId,
    version: sealed.version,
    algorithm: sealed.algorithm,
    usage: sealed.usage,
    createdAt: sealed.createdAt,
    nonce: toBase64(sealed.nonce),
    ciphertext: toBase64(sealed.ciphertext),
    mac: toBase64(sealed.mac),
  });
}

function decodeSealed(text: string, where: string): SealedVersion {
  let obj: Record<string, unknown> = {};
  try {
    obj = JSON.parse(text);
  } catch {
    // reported below as malformed
  }
  const bytes = (v: unknown) => typeof v === "string" ? fromBase64(v) : undefined;
  const candidate = {
    ...obj,
    nonce: bytes(obj.nonce),
    ciphertext: bytes(obj.ciphertext),
    mac: bytes(obj.mac),
  };
  if (sealedVersionProblem(candidate) !== undefined) {
    throw new HsmError("integrity_error", `The retention attestation key ${where} is malformed`);
  }
  return candidate as unknown as SealedVersion;
}
