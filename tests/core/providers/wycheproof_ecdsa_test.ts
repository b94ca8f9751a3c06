/**
 * Wycheproof ECDSA verification vectors (P-256/SHA-256 and P-384/SHA-384, DER and IEEE
 * P1363 encodings) run through `ecdsaVerifierFromSpki`, i.e. the verification code the
 * private keys use. Each case is checked twice: as a message (Web Crypto path) and as a
 * caller-supplied digest (`prehashed`, noble path). Every `valid` case must verify and no
 * `invalid` case may; these files have no `acceptable` cases. Nothing is skipped.
 */

import assert from "node:assert/strict";
import type { Algorithm, HashName } from "../../../src/domain/algorithms.ts";
import { derToRaw, rawToDer } from "../../../src/core/ecdsa_signature.ts";
import { ecdsaVerifierFromSpki } from "../../../src/core/providers/ecdsa.ts";
import { hex, loadVectors, newTally, vectorTest } from "../../_vectors.ts";

interface EcdsaCase {
  tcId: number;
  comment: string;
  flags: string[];
  msg: string;
  sig: string;
  result: "valid" | "invalid" | "acceptable";
}

interface EcdsaFile {
  numberOfTests: number;
  testGroups: {
    publicKey: { curve: string };
    publicKeyDer: string;
    sha: string;
    tests: EcdsaCase[];
  }[];
}

const FILES: { file: string; algorithm: Algorithm; format: "der" | "raw"; minimum: number }[] = [
  { file: "ecdsa_secp256r1_sha256_test.json", algorithm: "EC-P256", format: "der", minimum: 484 },
  {
    file: "ecdsa_secp256r1_sha256_p1363_test.json",
    algorithm: "EC-P256",
    format: "raw",
    minimum: 262,
  },
  { file: "ecdsa_secp384r1_sha384_test.json", algorithm: "EC-P384", format: "der", minimum: 504 },
  {
    file: "ecdsa_secp384r1_sha384_p1363_test.json",
    algorithm: "EC-P384",
    format: "raw",
    minimum: 280,
  },
];

for (const { file, algorithm, format, minimum } of FILES) {
  const path = `wycheproof/testvectors_v1/${file}`;
  vectorTest(
    `wycheproof ${file}: valid signatures verify and invalid ones never do`,
    path,
    async () => {
      const vectors = loadVectors<EcdsaFile>(path);
      const tally = newTally();
      const curve = algorithm === "EC-P256" ? "P-256" : "P-384";
      for (const group of vectors.testGroups) {
        const hash = group.sha as HashName;
        const key = await ecdsaVerifierFromSpki(algorithm, hex(group.publicKeyDer));
        assert.ok(key.verify !== undefined && key.sign === undefined);
        for (const t of group.tests) {
          const msg = hex(t.msg);
          const sig = hex(t.sig);
          const digest = new Uint8Array(await crypto.subtle.digest(hash, msg));
          const label = `tcId ${t.tcId} (${t.comment})`;
          const viaMessage = await key.verify(msg, sig, { hash, format });
          const viaDigest = await key.verify(digest, sig, { hash, format, prehashed: true });
          assert.equal(viaMessage, t.result === "valid", `message path, ${label}`);
          assert.equal(viaDigest, t.result === "valid", `digest path, ${label}`);
          if (t.result === "valid" && format === "der") {
            // Canonical DER survives a round trip through the raw form unchanged.
            const raw = derToRaw(curve, sig);
            assert.ok(raw !== undefined, label);
            assert.deepEqual(
              rawToDer(curve, raw),
              sig,
              label,
            );
          }
          tally.executed++;
        }
      }
      assert.equal(tally.executed, vectors.numberOfTests);
      assert.ok(tally.executed >= minimum, `ran ${tally.executed} cases, expected ≥ ${minimum}`);
    },
  );
}
