/**
 * NIST ACVP known-answer tests for ML-DSA-44/65/87 (FIPS 204), from the
 * `internalProjection.json` files in the shared vectors folder (see its SOURCES.md).
 *
 * keyGen runs FerroHSM's provider (seed ξ → public key) and `importMlDsaSecretKey`.
 * sigGen and sigVer in these 2024-format files test ML-DSA.Sign_internal and
 * Verify_internal (the message is M′, no context formatting). FerroHSM's API only offers
 * pure ML-DSA.Sign/Verify, which prepend 0‖|ctx|‖ctx to the message, so these two parts
 * run the internal functions of `@noble/post-quantum` (the library the provider wraps,
 * `ml_dsa*.internal`); the sigGen cases additionally check that `importMlDsaSecretKey`
 * accepts each published secret key. The pure interface is covered by the Wycheproof
 * `mldsa_65_*` vectors instead.
 */

import assert from "node:assert/strict";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import type { Algorithm } from "../../../src/domain/algorithms.ts";
import { fromBase64Url, toHex } from "../../../src/core/encoding.ts";
import type { LoadedKey } from "../../../src/core/provider.ts";
import { importMlDsaSecretKey, mlDsaProvider } from "../../../src/core/providers/ml_dsa.ts";
import { hex, loadVectors, vectorTest } from "../../_vectors.ts";

const KEYGEN = "acvp/ML-DSA-keyGen-FIPS204/internalProjection.json";
const SIGGEN = "acvp/ML-DSA-sigGen-FIPS204/internalProjection.json";
const SIGVER = "acvp/ML-DSA-sigVer-FIPS204/internalProjection.json";

const NOBLE = { "ML-DSA-44": ml_dsa44, "ML-DSA-65": ml_dsa65, "ML-DSA-87": ml_dsa87 };
type DsaName = keyof typeof NOBLE;

interface AcvpFile<T, G = Record<string, unknown>> {
  testGroups: (G & { parameterSet: DsaName; tests: T[] })[];
}

function publicHex(key: LoadedKey): string {
  assert.ok(key.publicKey);
  const raw = fromBase64Url(String(key.publicKey().jwk.pub));
  assert.ok(raw);
  return toHex(raw);
}

function tally(counts: Map<string, number>, name: string): void {
  counts.set(name, (counts.get(name) ?? 0) + 1);
}

vectorTest("ACVP ML-DSA keyGen: seeds ξ load into the published keys", KEYGEN, async () => {
  const file = loadVectors<AcvpFile<{ tcId: number; seed: string; pk: string; sk: string }>>(
    KEYGEN,
  );
  const counts = new Map<string, number>();
  for (const group of file.testGroups) {
    for (const tc of group.tests) {
      const seed = hex(tc.seed);
      // The library's expanded sk for this seed (the provider keeps exactly this buffer).
      const expanded = NOBLE[group.parameterSet].keygen(seed.slice());
      assert.equal(toHex(expanded.secretKey), tc.sk.toLowerCase(), `tcId ${tc.tcId} sk`);
      const key = await mlDsaProvider.load(group.parameterSet as Algorithm, seed);
      assert.ok(seed.every((b) => b === 0), `tcId ${tc.tcId}: load wipes the material`);
      assert.equal(publicHex(key), tc.pk.toLowerCase(), `tcId ${tc.tcId} pk`);
      key.dispose();
      const imported = importMlDsaSecretKey(group.parameterSet as Algorithm, hex(tc.sk));
      assert.equal(publicHex(imported), tc.pk.toLowerCase(), `tcId ${tc.tcId} imported pk`);
      imported.dispose();
      tally(counts, group.parameterSet);
    }
  }
  assert.deepEqual(Object.fromEntries(counts), {
    "ML-DSA-44": 25,
    "ML-DSA-65": 25,
    "ML-DSA-87": 25,
  });
});

vectorTest(
  "ACVP ML-DSA sigGen (Sign_internal): deterministic and hedged signatures match",
  SIGGEN,
  () => {
    const file = loadVectors<
      AcvpFile<
        { tcId: number; sk: string; message: string; rnd?: string; signature: string },
        { deterministic: boolean }
      >
    >(SIGGEN);
    const counts = new Map<string, number>();
    for (const group of file.testGroups) {
      const dsa = NOBLE[group.parameterSet];
      for (const tc of group.tests) {
        const sk = hex(tc.sk);
        importMlDsaSecretKey(group.parameterSet as Algorithm, sk).dispose();
        const extraEntropy = group.deterministic ? false : hex(tc.rnd ?? "");
        const sig = dsa.internal.sign(hex(tc.message), sk, { extraEntropy });
        assert.equal(toHex(sig), tc.signature.toLowerCase(), `tcId ${tc.tcId}`);
        tally(counts, `${group.parameterSet}/${group.deterministic ? "det" : "rnd"}`);
      }
    }
    assert.equal(counts.size, 6);
    for (const n of counts.values()) assert.equal(n, 10);
  },
);

vectorTest(
  "ACVP ML-DSA sigVer (Verify_internal): exactly the passing signatures verify",
  SIGVER,
  () => {
    const file = loadVectors<
      AcvpFile<
        { tcId: number; testPassed: boolean; message: string; signature: string; reason: string },
        { pk: string }
      >
    >(SIGVER);
    let passed = 0;
    let failed = 0;
    for (const group of file.testGroups) {
      const dsa = NOBLE[group.parameterSet];
      const pk = hex(group.pk);
      for (const tc of group.tests) {
        let ok: boolean;
        try {
          ok = dsa.internal.verify(hex(tc.signature), hex(tc.message), pk);
        } catch {
          ok = false;
        }
        assert.equal(ok, tc.testPassed, `tcId ${tc.tcId} (${tc.reason})`);
        if (tc.testPassed) passed++;
        else failed++;
      }
    }
    assert.equal(passed, 9);
    assert.equal(failed, 36);
  },
);
