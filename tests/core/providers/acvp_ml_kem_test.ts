/**
 * NIST ACVP known-answer tests for ML-KEM-512/768/1024 (FIPS 203), from the
 * `internalProjection.json` files in the shared vectors folder (see its SOURCES.md).
 * keyGen runs the provider's seed loading; encapDecap runs `mlKemPublicKey` with the
 * vector's m injected as randomness and `importMlKemDecapsulationKey` on the expanded dk.
 */

import assert from "node:assert/strict";
import { ml_kem1024, ml_kem512, ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { fromBase64Url, toHex } from "../../../src/core/encoding.ts";
import {
  importMlKemDecapsulationKey,
  mlKemProvider,
  mlKemPublicKey,
} from "../../../src/core/providers/ml_kem.ts";
import type { Algorithm } from "../../../src/domain/algorithms.ts";
import type { Encapsulation, LoadedKey } from "../../../src/core/provider.ts";
import { hex, loadVectors, vectorTest } from "../../_vectors.ts";

const KEYGEN = "acvp/ML-KEM-keyGen-FIPS203/internalProjection.json";
const ENCAP_DECAP = "acvp/ML-KEM-encapDecap-FIPS203/internalProjection.json";

interface AcvpFile<G> {
  testGroups: G[];
}
interface KeyGenGroup {
  parameterSet: Algorithm;
  tests: { tcId: number; d: string; z: string; ek: string; dk: string }[];
}
interface EncapDecapGroup {
  parameterSet: Algorithm;
  function: "encapsulation" | "decapsulation";
  ek?: string;
  dk?: string;
  tests: { tcId: number; ek?: string; dk?: string; c: string; k: string; m?: string }[];
}

const NOBLE = { "ML-KEM-512": ml_kem512, "ML-KEM-768": ml_kem768, "ML-KEM-1024": ml_kem1024 };

function fixedRandom(bytes: Uint8Array): (buf: Uint8Array) => void {
  return (buf) => buf.set(bytes);
}

function publicBytes(key: LoadedKey): string {
  assert.ok(key.publicKey);
  const raw = fromBase64Url(String(key.publicKey().jwk.pub));
  assert.ok(raw);
  return toHex(raw);
}

function encapsulate(key: LoadedKey): Promise<Encapsulation> {
  assert.ok(key.encapsulate);
  return key.encapsulate();
}

async function decapsulate(key: LoadedKey, ciphertext: Uint8Array): Promise<string> {
  assert.ok(key.decapsulate);
  return toHex(await key.decapsulate(ciphertext));
}

function field(value: string | undefined): Uint8Array {
  assert.ok(value !== undefined, "vector field missing");
  return hex(value);
}

vectorTest("ACVP ML-KEM keyGen: seeds d‖z load into the published keys", KEYGEN, async () => {
  const file = loadVectors<AcvpFile<KeyGenGroup>>(KEYGEN);
  const seen = new Map<string, number>();
  for (const group of file.testGroups) {
    for (const tc of group.tests) {
      const seed = new Uint8Array([...hex(tc.d), ...hex(tc.z)]);
      // The library's expanded dk for this seed (the provider keeps exactly this buffer).
      const expanded = NOBLE[group.parameterSet as keyof typeof NOBLE].keygen(seed.slice());
      assert.equal(toHex(expanded.secretKey), tc.dk.toLowerCase(), `tcId ${tc.tcId} dk`);
      const key = await mlKemProvider.load(group.parameterSet, seed);
      assert.ok(seed.every((b) => b === 0), `tcId ${tc.tcId}: load wipes the material`);
      assert.equal(publicBytes(key), tc.ek.toLowerCase(), `tcId ${tc.tcId} ek`);
      key.dispose();
      seen.set(group.parameterSet, (seen.get(group.parameterSet) ?? 0) + 1);
    }
  }
  assert.deepEqual([...seen.entries()].sort(), [
    ["ML-KEM-1024", 25],
    ["ML-KEM-512", 25],
    ["ML-KEM-768", 25],
  ]);
});

vectorTest(
  "ACVP ML-KEM encapsulation: ek and m give the published ciphertext and shared secret",
  ENCAP_DECAP,
  async () => {
    const file = loadVectors<AcvpFile<EncapDecapGroup>>(ENCAP_DECAP);
    let executed = 0;
    for (const group of file.testGroups.filter((g) => g.function === "encapsulation")) {
      for (const tc of group.tests) {
        const enc = mlKemPublicKey(group.parameterSet, field(tc.ek), {
          random: fixedRandom(field(tc.m)),
        });
        const { ciphertext, sharedSecret } = await encapsulate(enc);
        assert.equal(toHex(ciphertext), tc.c.toLowerCase(), `tcId ${tc.tcId} c`);
        assert.equal(toHex(sharedSecret), tc.k.toLowerCase(), `tcId ${tc.tcId} k`);
        const dec = importMlKemDecapsulationKey(group.parameterSet, field(tc.dk));
        assert.equal(await decapsulate(dec, ciphertext), tc.k.toLowerCase());
        dec.dispose();
        executed++;
      }
    }
    assert.equal(executed, 75);
  },
);

vectorTest(
  "ACVP ML-KEM decapsulation: valid and modified ciphertexts give the published secrets",
  ENCAP_DECAP,
  async () => {
    const file = loadVectors<AcvpFile<EncapDecapGroup>>(ENCAP_DECAP);
    let executed = 0;
    for (const group of file.testGroups.filter((g) => g.function === "decapsulation")) {
      const dec = importMlKemDecapsulationKey(group.parameterSet, field(group.dk));
      assert.equal(publicBytes(dec), toHex(field(group.ek)));
      for (const tc of group.tests) {
        // Modified ciphertexts must yield the implicit-rejection secret, not an error.
        assert.equal(await decapsulate(dec, hex(tc.c)), tc.k.toLowerCase(), `tcId ${tc.tcId}`);
        executed++;
      }
      dec.dispose();
    }
    assert.equal(executed, 30);
  },
);
