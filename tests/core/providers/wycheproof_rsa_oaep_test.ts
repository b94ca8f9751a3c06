/**
 * Wycheproof RSA-OAEP (SHA-256, MGF1-SHA-256) decryption vectors. Each group's PKCS#8
 * private key is loaded through `rsaProvider.load`, exactly as sealed material would be,
 * and every ciphertext is decrypted with the vector's label passed as `aad` (our OAEP
 * label). Every `valid` case must give back the message; every `invalid` one must throw
 * the one vague `invalid_request` "Decryption failed". No `acceptable` cases exist.
 * Skipped: the SHA-1, SHA-384 and SHA-512 files (the contract fixes OAEP to SHA-256).
 */

import assert from "node:assert/strict";
import type { Algorithm } from "../../../src/domain/algorithms.ts";
import { isHsmError } from "../../../src/domain/errors.ts";
import { rsaProvider } from "../../../src/core/providers/rsa.ts";
import { hex, loadVectors, newTally, vectorTest } from "../../_vectors.ts";

interface OaepFile {
  numberOfTests: number;
  testGroups: {
    keySize: number;
    sha: string;
    mgfSha: string;
    privateKeyPkcs8: string;
    tests: {
      tcId: number;
      comment: string;
      msg: string;
      ct: string;
      label: string;
      result: string;
    }[];
  }[];
}

for (const bits of [2048, 3072, 4096]) {
  const file = `rsa_oaep_${bits}_sha256_mgf1sha256_test.json`;
  const path = `wycheproof/testvectors_v1/${file}`;
  vectorTest(
    `wycheproof ${file}: valid ciphertexts decrypt and invalid ones fail vaguely`,
    path,
    async () => {
      const vectors = loadVectors<OaepFile>(path);
      const tally = newTally();
      for (const group of vectors.testGroups) {
        assert.equal(group.sha, "SHA-256");
        assert.equal(group.mgfSha, "SHA-256");
        const key = await rsaProvider.load(
          `RSA-${group.keySize}` as Algorithm,
          hex(group.privateKeyPkcs8),
        );
        assert.ok(key.decrypt !== undefined && key.encrypt !== undefined);
        for (const t of group.tests) {
          const label = `tcId ${t.tcId} (${t.comment})`;
          const oaepLabel = hex(t.label);
          assert.notEqual(t.result, "acceptable", label);
          if (t.result === "valid") {
            assert.deepEqual(await key.decrypt(hex(t.ct), oaepLabel), hex(t.msg), label);
            // And our encryption round-trips the same message under the same label.
            const again: Uint8Array = await key.encrypt(hex(t.msg), oaepLabel);
            assert.deepEqual(await key.decrypt(again, oaepLabel), hex(t.msg), label);
          } else {
            await assert.rejects(
              key.decrypt(hex(t.ct), oaepLabel),
              (e: unknown) => isHsmError(e, "invalid_request") && e.message === "Decryption failed",
              label,
            );
          }
          tally.executed++;
        }
        key.dispose();
      }
      assert.equal(tally.executed, vectors.numberOfTests);
      assert.ok(tally.executed >= 37, `ran ${tally.executed} cases`);
    },
  );
}
