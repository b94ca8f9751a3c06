/**
 * `ML-KEM-768-P256` and `ML-KEM-1024-P384` against the test vectors of
 * draft-irtf-cfrg-concrete-hybrid-kems-04 Appendix B (MLKEM768-P256, MLKEM1024-P384); see
 * fixtures/SOURCES.md. Each vector runs key derivation through the provider, derandomized
 * encapsulation with the vector's randomness, and decapsulation.
 */

import assert from "node:assert/strict";
import { toHex } from "../../../src/core/encoding.ts";
import { hybridKemProvider, hybridKemPublicKey } from "../../../src/core/providers/hybrid_kem.ts";
import { readFixture, unhex } from "./_fixture.ts";
import { expectMethods } from "./_methods.ts";

interface Vector {
  seed: string;
  randomness: string;
  encapsulationKey: string;
  decapsulationKey: string;
  ciphertext: string;
  sharedSecret: string;
}

const fixture = readFixture<Record<"ML-KEM-768-P256" | "ML-KEM-1024-P384", Vector[]>>(
  "concrete_hybrid_kems_draft04.json",
);

for (const alg of ["ML-KEM-768-P256", "ML-KEM-1024-P384"] as const) {
  Deno.test(`${alg} matches the draft-04 vectors for keys, encapsulation and decapsulation`, async () => {
    assert.equal(fixture[alg].length, 2);
    for (const [i, v] of fixture[alg].entries()) {
      assert.equal(v.decapsulationKey, v.seed, "the decapsulation key is the seed");
      const key = expectMethods(
        await hybridKemProvider.load(alg, unhex(v.seed)),
        "decapsulate",
        "publicKey",
      );
      assert.equal(toHex(key.publicKey().raw ?? new Uint8Array()), v.encapsulationKey, `${i} ek`);
      const encapsulator = expectMethods(
        hybridKemPublicKey(alg, unhex(v.encapsulationKey), {
          random: (buf) => buf.set(unhex(v.randomness)),
        }),
        "encapsulate",
      );
      const { ciphertext, sharedSecret } = await encapsulator.encapsulate();
      assert.equal(toHex(ciphertext), v.ciphertext, `${i} ciphertext`);
      assert.equal(toHex(sharedSecret), v.sharedSecret, `${i} shared secret`);
      assert.equal(toHex(await key.decapsulate(unhex(v.ciphertext))), v.sharedSecret);
      key.dispose();
    }
  });
}
