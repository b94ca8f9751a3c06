/**
 * Wycheproof RSASSA-PKCS1-v1_5 vectors.
 * - `rsa_signature_<bits>_<sha>_test.json` (verification) run through
 *   `rsaVerifierFromSpki`, the code the private keys use, twice per case: as a message
 *   (Web Crypto path) and as a digest (`prehashed`, our RFC 8017 re-encode-and-compare
 *   path). Every `valid` case must verify and no `invalid` case may; `acceptable` cases
 *   (one per file: DigestInfo without the NULL parameter) may go either way but both
 *   paths must agree; today both reject them.
 * - `rsa_pkcs1_<bits>_sig_gen_test.json` (generation): the PKCS#8 key is loaded through
 *   `rsaProvider.load` and PKCS#1 v1.5 (deterministic) must reproduce the signature byte
 *   for byte. Skipped: SHA-1 and SHA-224 groups (our API signs with SHA-256/384/512 only).
 */

import assert from "node:assert/strict";
import type { Algorithm, HashName } from "../../../src/domain/algorithms.ts";
import { rsaProvider, rsaVerifierFromSpki } from "../../../src/core/providers/rsa.ts";
import { hex, loadVectors, newTally, vectorTest } from "../../_vectors.ts";

interface Case {
  tcId: number;
  comment: string;
  msg: string;
  sig: string;
  result: "valid" | "invalid" | "acceptable";
}

interface VerifyFile {
  numberOfTests: number;
  testGroups: { keySize: number; sha: string; publicKeyDer: string; tests: Case[] }[];
}

interface GenerateFile {
  testGroups: { keySize: number; sha: string; privateKeyPkcs8: string; tests: Case[] }[];
}

const HASHES: readonly string[] = ["SHA-256", "SHA-384", "SHA-512"];

const VERIFY_FILES = [
  "rsa_signature_2048_sha256_test.json",
  "rsa_signature_2048_sha384_test.json",
  "rsa_signature_2048_sha512_test.json",
  "rsa_signature_3072_sha256_test.json",
  "rsa_signature_3072_sha384_test.json",
  "rsa_signature_4096_sha256_test.json",
  "rsa_signature_4096_sha384_test.json",
  "rsa_signature_4096_sha512_test.json",
];

for (const file of VERIFY_FILES) {
  const path = `wycheproof/testvectors_v1/${file}`;
  vectorTest(
    `wycheproof ${file}: valid signatures verify and invalid ones never do`,
    path,
    async () => {
      const vectors = loadVectors<VerifyFile>(path);
      const tally = newTally();
      for (const group of vectors.testGroups) {
        const hash = group.sha as HashName;
        const key = await rsaVerifierFromSpki(
          `RSA-${group.keySize}` as Algorithm,
          hex(group.publicKeyDer),
        );
        assert.ok(key.verify !== undefined && key.sign === undefined && key.decrypt === undefined);
        for (const t of group.tests) {
          const msg = hex(t.msg);
          const sig = hex(t.sig);
          const digest = new Uint8Array(await crypto.subtle.digest(hash, msg));
          const label = `tcId ${t.tcId} (${t.comment})`;
          const viaMessage = await key.verify(msg, sig, { hash, padding: "pkcs1" });
          const viaDigest = await key.verify(digest, sig, {
            hash,
            padding: "pkcs1",
            prehashed: true,
          });
          if (t.result === "acceptable") {
            // Both paths must still agree (today both reject the "MissingNull" case).
            assert.equal(viaMessage, viaDigest, `paths disagree, ${label}`);
            if (viaMessage) tally.acceptableAccepted++;
            else tally.acceptableRejected++;
          } else {
            assert.equal(viaMessage, t.result === "valid", `message path, ${label}`);
            assert.equal(viaDigest, t.result === "valid", `digest path, ${label}`);
          }
          tally.executed++;
        }
      }
      assert.equal(tally.executed, vectors.numberOfTests);
      assert.equal(tally.acceptableAccepted + tally.acceptableRejected, 1);
      assert.ok(tally.executed >= 250, `ran ${tally.executed} cases`);
    },
  );
}

for (const bits of [2048, 3072, 4096]) {
  const file = `rsa_pkcs1_${bits}_sig_gen_test.json`;
  const path = `wycheproof/testvectors_v1/${file}`;
  vectorTest(
    `wycheproof ${file}: PKCS#1 v1.5 signing reproduces every signature`,
    path,
    async () => {
      const vectors = loadVectors<GenerateFile>(path);
      const tally = newTally();
      for (const group of vectors.testGroups) {
        if (!HASHES.includes(group.sha)) {
          tally.skipped += group.tests.length; // SHA-1 / SHA-224: not a hash our API signs with
          continue;
        }
        const hash = group.sha as HashName;
        const key = await rsaProvider.load(
          `RSA-${group.keySize}` as Algorithm,
          hex(group.privateKeyPkcs8),
        );
        assert.ok(key.sign !== undefined && key.verify !== undefined);
        for (const t of group.tests) {
          const msg = hex(t.msg);
          const label = `tcId ${t.tcId} (${t.comment})`;
          // Generation vectors are all correct signatures; "acceptable" only flags weak
          // parameters (e.g. a small public exponent), so signing must still reproduce them.
          assert.deepEqual(await key.sign(msg, { hash, padding: "pkcs1" }), hex(t.sig), label);
          assert.equal(await key.verify(msg, hex(t.sig), { hash }), true, label);
          tally.executed++;
        }
        key.dispose();
      }
      assert.ok(tally.executed >= 17, `ran ${tally.executed} cases`);
    },
  );
}
