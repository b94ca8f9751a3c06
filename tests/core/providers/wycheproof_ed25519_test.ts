/**
 * Wycheproof Ed25519 verification vectors run through `ed25519VerifierFromSpki`, the
 * verification code the private keys use. Every `valid` case must verify and no
 * `invalid` case may (non-canonical S, truncated or padded signatures, wrong keys);
 * the file has no `acceptable` cases. Nothing is skipped.
 */

import assert from "node:assert/strict";
import { ed25519VerifierFromSpki } from "../../../src/core/providers/ed25519.ts";
import { hex, loadVectors, newTally, vectorTest } from "../../_vectors.ts";

interface EddsaFile {
  numberOfTests: number;
  testGroups: {
    publicKeyDer: string;
    tests: { tcId: number; comment: string; msg: string; sig: string; result: string }[];
  }[];
}

const PATH = "wycheproof/testvectors_v1/ed25519_test.json";

vectorTest(
  "wycheproof ed25519_test.json: valid signatures verify and invalid ones never do",
  PATH,
  async () => {
    const vectors = loadVectors<EddsaFile>(PATH);
    const tally = newTally();
    for (const group of vectors.testGroups) {
      const key = await ed25519VerifierFromSpki("Ed25519", hex(group.publicKeyDer));
      assert.ok(key.verify !== undefined && key.sign === undefined);
      for (const t of group.tests) {
        const ok = await key.verify(hex(t.msg), hex(t.sig));
        assert.equal(ok, t.result === "valid", `tcId ${t.tcId} (${t.comment})`);
        tally.executed++;
      }
    }
    assert.equal(tally.executed, vectors.numberOfTests);
    assert.ok(tally.executed >= 151, `ran ${tally.executed} cases`);
  },
);
