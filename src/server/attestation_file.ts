/**
 * Where the sealed retention attestation key lives: `<data-dir>/retention-attestation.json`,
 * the sealed version's fields with base64 byte fields, written once (0600, durably,
 * never overwritten). Only sealed bytes touch the disk.
 */

import { join } from "node:path";
import { fromBase64, fromUtf8, toBase64, utf8 } from "../core/encoding.ts";
import { HsmError } from "../domain/errors.ts";
import type { SealedVersion } from "../domain/records.ts";
import type { SealedKeyFile } from "../retention/attestation.ts";
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
        throw new HsmError("integrity_error", `The retention attestation key ${path} is malformed`);
      }
      return candidate as unknown as SealedVersion;
    },
    async save(sealed) {
      const body = {
        keyId: sealed.keyId,
        version: sealed.version,
        algorithm: sealed.algorithm,
        usage: sealed.usage,
        createdAt: sealed.createdAt,
        nonce: toBase64(sealed.nonce),
        ciphertext: toBase64(sealed.ciphertext),
        mac: toBase64(sealed.mac),
      };
      await writeFileDurably(path, utf8(JSON.stringify(body)));
    },
  };
}
