/**
 * Wycheproof ML-KEM-768 vectors (`mlkem_768_*`, see the shared vectors' SOURCES.md), run
 * through FerroHSM's ML-KEM API: seeds through the provider, encapsulation keys through
 * `mlKemPublicKey` (m injected) and expanded decapsulation keys through
 * `importMlKemDecapsulationKey`. Every valid case must give the published values; an
 * invalid case counts as rejected only when our API throws `HsmError`.
 */

import assert from "node:assert/strict";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { fromBase64Url, toHex } from "../../../src/core/encoding.ts";
import { HsmError } from "../../../src/domain/errors.ts";
import type { LoadedKey } from "../../../src/core/provider.ts";
import {
  importMlKemDecapsulationKey,
  mlKemProvider,
  mlKemPublicKey,
} from "../../../src/core/providers/ml_kem.ts";
import { hex, loadVectors, vectorTest } from "../../_vectors.ts";

const DIR = "wycheproof/testvectors_v1";
const ALG = "ML-KEM-768";

interface Case {
  tcId: number;
  comment?: string;
  result: "valid" | "invalid" | "acceptable";
  flags: string[];
  seed?: string;
  ek?: string;
  dk?: string;
  m?: string;
  c?: string;
  K?: string;
}
interface WycheproofFile {
  testGroups: { parameterSet: string; tests: Case[] }[];
}

function cases(file: string): Case[] {
  const data = loadVectors<WycheproofFile>(`${DIR}/${file}`);
  return data.testGroups.flatMap((g) => {
    assert.equal(g.parameterSet, ALG);
    return g.tests;
  });
}

function field(value: string | undefined): Uint8Array {
  assert.ok(value !== undefined, "vector field missing");
  return hex(value);
}

function publicHex(key: LoadedKey): string {
  assert.ok(key.publicKey);
  const raw = fromBase64Url(String(key.publicKey().jwk.pub));
  assert.ok(raw);
  return toHex(raw);
}

async function decapsulate(key: LoadedKey, c: Uint8Array): Promise<string> {
  assert.ok(key.decapsulate);
  return toHex(await key.decapsulate(c));
}

/** Runs `fn` for an invalid case and asserts our API refused it with an HsmError. */
async function assertRejected(tc: Case, fn: () => Promise<unknown>): Promise<void> {
  await assert.rejects(async () => await fn(), (err: unknown) => {
    assert.ok(err instanceof HsmError, `tcId ${tc.tcId}: expected HsmError, got ${err}`);
    return true;
  }, `tcId ${tc.tcId} (${tc.comment}) was accepted`);
}

vectorTest(
  "Wycheproof ML-KEM-768: seeds decapsulate to the published secrets and bad inputs are refused",
  `${DIR}/mlkem_768_test.json`,
  async () => {
    let valid = 0;
    let invalid = 0;
    for (const tc of cases("mlkem_768_test.json")) {
      const run = async () => {
        const key = await mlKemProvider.load(ALG, field(tc.seed));
        try {
          assert.equal(publicHex(key), toHex(field(tc.ek)), `tcId ${tc.tcId} ek`);
          return await decapsulate(key, field(tc.c));
        } finally {
          key.dispose();
        }
      };
      if (tc.result === "valid") {
        assert.equal(await run(), toHex(field(tc.K)), `tcId ${tc.tcId} K`);
        valid++;
      } else {
        await assertRejected(tc, run);
        invalid++;
      }
    }
    assert.equal(valid, 153);
    assert.equal(invalid, 40);
  },
);

vectorTest(
  "Wycheproof ML-KEM-768 keygen: seeds expand to the published ek and dk",
  `${DIR}/mlkem_768_keygen_seed_test.json`,
  async () => {
    let valid = 0;
    for (const tc of cases("mlkem_768_keygen_seed_test.json")) {
      assert.equal(tc.result, "valid");
      const seed = field(tc.seed);
      // The library's expanded dk for this seed (the provider keeps exactly this buffer).
      assert.equal(toHex(ml_kem768.keygen(seed.slice()).secretKey), toHex(field(tc.dk)));
      const key = await mlKemProvider.load(ALG, seed);
      assert.equal(publicHex(key), toHex(field(tc.ek)), `tcId ${tc.tcId}`);
      // The imported dk and the seed-loaded key agree on a fresh encapsulation.
      const imported = importMlKemDecapsulationKey(ALG, field(tc.dk));
      assert.ok(key.encapsulate);
      const { ciphertext, sharedSecret } = await key.encapsulate();
      assert.equal(await decapsulate(imported, ciphertext), toHex(sharedSecret));
      key.dispose();
      imported.dispose();
      valid++;
    }
    assert.equal(valid, 100);
  },
);

vectorTest(
  "Wycheproof ML-KEM-768 encapsulation: published results, unreduced or misshapen keys refused",
  `${DIR}/mlkem_768_encaps_test.json`,
  async () => {
    let valid = 0;
    let invalid = 0;
    for (const tc of cases("mlkem_768_encaps_test.json")) {
      const m = field(tc.m);
      const run = () => {
        const key = mlKemPublicKey(ALG, field(tc.ek), { random: (buf) => buf.set(m) });
        assert.ok(key.encapsulate);
        return key.encapsulate();
      };
      if (tc.result === "valid") {
        const { ciphertext, sharedSecret } = await run();
        assert.equal(toHex(ciphertext), toHex(field(tc.c)), `tcId ${tc.tcId} c`);
        assert.equal(toHex(sharedSecret), toHex(field(tc.K)), `tcId ${tc.tcId} K`);
        valid++;
      } else {
        await assertRejected(tc, run);
        invalid++;
      }
    }
    assert.equal(valid, 133);
    assert.equal(invalid, 132);
  },
);

vectorTest(
  "Wycheproof ML-KEM-768 expanded decapsulation keys: checked per FIPS 203 §7.3",
  `${DIR}/mlkem_768_semi_expanded_decaps_test.json`,
  async () => {
    let valid = 0;
    let invalid = 0;
    for (const tc of cases("mlkem_768_semi_expanded_decaps_test.json")) {
      const run = async () => {
        const key = importMlKemDecapsulationKey(ALG, field(tc.dk));
        try {
          return await decapsulate(key, field(tc.c));
        } finally {
          key.dispose();
        }
      };
      if (tc.result === "valid") {
        assert.equal(await run(), toHex(field(tc.K)), `tcId ${tc.tcId}`);
        valid++;
      } else {
        await assertRejected(tc, run);
        invalid++;
      }
    }
    assert.equal(valid, 3);
    assert.equal(invalid, 6);
  },
);
