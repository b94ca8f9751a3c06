/**
 * Wycheproof HMAC-SHA256 vectors through `hmacProvider.load(...)`, the service's path.
 * Full-length (256-bit) tags: `valid` cases must match `mac` and pass `macVerify`,
 * `invalid` ones (modified tags) must fail `macVerify`. Truncated (128-bit) tags: our API
 * never accepts a truncated tag, so `macVerify` must refuse even the `valid` ones, while
 * the tag must still be a prefix of our full `mac` exactly when the case is `valid`.
 * Skipped (counted): keys that are not 256 bits, since the material is a 32-byte key.
 * The SHA-384/512 files are not run: HMAC-SHA256 is the only HMAC algorithm exposed.
 * No `acceptable` cases exist.
 */

import assert from "node:assert/strict";
import { hmacProvider } from "../../../src/core/providers/hmac.ts";
import { hex, loadVectors, newTally, vectorTest } from "../../_vectors.ts";

interface MacFile {
  numberOfTests: number;
  testGroups: {
    keySize: number;
    tagSize: number;
    tests: {
      tcId: number;
      comment: string;
      key: string;
      msg: string;
      tag: string;
      result: string;
    }[];
  }[];
}

const PATH = "wycheproof/testvectors_v1/hmac_sha256_test.json";

vectorTest(
  "wycheproof hmac_sha256_test.json: full tags verify, modified and truncated tags never do",
  PATH,
  async () => {
    const vectors = loadVectors<MacFile>(PATH);
    const tally = newTally();
    for (const group of vectors.testGroups) {
      if (group.keySize !== 256) {
        tally.skipped += group.tests.length; // material is exactly a 32-byte key
        continue;
      }
      for (const t of group.tests) {
        const label = `tcId ${t.tcId} (${t.comment})`;
        assert.notEqual(t.result, "acceptable", label);
        const key = await hmacProvider.load("HMAC-SHA256", hex(t.key));
        assert.ok(key.mac !== undefined && key.macVerify !== undefined);
        const msg = hex(t.msg);
        const tag = hex(t.tag);
        const mac = await key.mac(msg);
        assert.equal(mac.length, 32);
        const isPrefix = tag.every((b, i) => mac[i] === b);
        assert.equal(isPrefix, t.result === "valid", label);
        const accepted = await key.macVerify(msg, tag);
        assert.equal(accepted, group.tagSize === 256 && t.result === "valid", label);
        key.dispose();
        tally.executed++;
      }
    }
    assert.equal(tally.executed + tally.skipped, vectors.numberOfTests);
    assert.ok(tally.executed >= 150, `ran ${tally.executed} cases`);
  },
);
