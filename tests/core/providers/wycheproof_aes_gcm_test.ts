/**
 * Wycheproof AES-GCM vectors.
 * - AES-256 with a 96-bit IV (our ciphertext format): decrypted through
 *   `aesGcmProvider.load(...).decrypt(iv‖ct‖tag, aad)`, the service's path; `valid`
 *   cases must give back the message and `invalid` ones must throw the vague
 *   "Decryption failed". Valid cases are also re-encrypted with `aesGcmEncrypt` under
 *   the vector's IV (our `encrypt` draws its own nonce, so it cannot be compared).
 * - AES-128/192/256 with 96- or 128-bit IVs: through the low-level `aesGcmEncrypt` /
 *   `aesGcmDecrypt` with the key imported here, to cover the primitive more widely.
 * Skipped (counted): IVs of other sizes (0–80, 120, 160 bits and 256+), which Deno's Web
 * Crypto rejects with NotSupportedError; every group uses 128-bit tags (no tag-size skip).
 * No `acceptable` cases exist.
 */

import assert from "node:assert/strict";
import { isHsmError } from "../../../src/domain/errors.ts";
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  aesGcmProvider,
} from "../../../src/core/providers/aes_gcm.ts";
import { hex, loadVectors, newTally, vectorTest } from "../../_vectors.ts";

interface AeadFile {
  numberOfTests: number;
  testGroups: {
    ivSize: number;
    keySize: number;
    tagSize: number;
    tests: {
      tcId: number;
      comment: string;
      key: string;
      iv: string;
      aad: string;
      msg: string;
      ct: string;
      tag: string;
      result: string;
    }[];
  }[];
}

const PATH = "wycheproof/testvectors_v1/aes_gcm_test.json";

function concat(a: Uint8Array, b: Uint8Array, c: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(a.length + b.length + c.length);
  out.set(a);
  out.set(b, a.length);
  out.set(c, a.length + b.length);
  return out;
}

function isDecryptionFailed(e: unknown): boolean {
  return isHsmError(e, "invalid_request") && e.message === "Decryption failed";
}

vectorTest(
  "wycheproof aes_gcm_test.json: the AES-256-GCM key decrypts valid ciphertexts and refuses invalid ones",
  PATH,
  async () => {
    const vectors = loadVectors<AeadFile>(PATH);
    const tally = newTally();
    for (const group of vectors.testGroups) {
      if (group.keySize !== 256 || group.ivSize !== 96 || group.tagSize !== 128) {
        tally.skipped += group.tests.length; // not our key/nonce format: covered below
        continue;
      }
      for (const t of group.tests) {
        const label = `tcId ${t.tcId} (${t.comment})`;
        const key = await aesGcmProvider.load("AES-256-GCM", hex(t.key));
        assert.ok(key.decrypt !== undefined && key.encrypt !== undefined);
        const iv = hex(t.iv);
        const sealed = concat(iv, hex(t.ct), hex(t.tag));
        if (t.result === "valid") {
          assert.deepEqual(await key.decrypt(sealed, hex(t.aad)), hex(t.msg), label);
          const raw = await crypto.subtle.importKey("raw", hex(t.key), "AES-GCM", false, [
            "encrypt",
          ]);
          assert.deepEqual(
            await aesGcmEncrypt(raw, iv, hex(t.msg), hex(t.aad)),
            concat(hex(t.ct), hex(t.tag)),
            label,
          );
        } else {
          await assert.rejects(key.decrypt(sealed, hex(t.aad)), isDecryptionFailed, label);
        }
        key.dispose();
        tally.executed++;
      }
    }
    assert.ok(tally.executed >= 60, `ran ${tally.executed} cases`);
  },
);

vectorTest(
  "wycheproof aes_gcm_test.json: the low-level AES-GCM primitive matches every supported IV size",
  PATH,
  async () => {
    const vectors = loadVectors<AeadFile>(PATH);
    const tally = newTally();
    for (const group of vectors.testGroups) {
      if ((group.ivSize !== 96 && group.ivSize !== 128) || group.tagSize !== 128) {
        tally.skipped += group.tests.length; // Deno's Web Crypto accepts 12- and 16-byte IVs only
        continue;
      }
      for (const t of group.tests) {
        const label = `tcId ${t.tcId} (${t.comment})`;
        const key = await crypto.subtle.importKey("raw", hex(t.key), "AES-GCM", false, [
          "encrypt",
          "decrypt",
        ]);
        const iv = hex(t.iv);
        const ctTag = concat(hex(t.ct), hex(t.tag));
        if (t.result === "valid") {
          assert.deepEqual(await aesGcmDecrypt(key, iv, ctTag, hex(t.aad)), hex(t.msg), label);
          assert.deepEqual(await aesGcmEncrypt(key, iv, hex(t.msg), hex(t.aad)), ctTag, label);
        } else {
          await assert.rejects(
            aesGcmDecrypt(key, iv, ctTag, hex(t.aad)),
            isDecryptionFailed,
            label,
          );
        }
        tally.executed++;
      }
    }
    assert.equal(tally.executed + tally.skipped, vectors.numberOfTests);
    assert.ok(tally.executed >= 250, `ran ${tally.executed} cases`);
  },
);
