/**
 * X-Wing (`ML-KEM-768-X25519`) against the test vectors of draft-connolly-cfrg-xwing-kem-10
 * (spec/test-vectors.json) and its X.509 example public key; see fixtures/SOURCES.md.
 * Each vector runs key derivation through the provider, derandomized encapsulation with
 * the vector's eseed, and decapsulation.
 */

import assert from "node:assert/strict";
import { toHex } from "../../../src/core/encoding.ts";
import { toPem } from "../../../src/core/pem.ts";
import { hybridKemProvider, hybridKemPublicKey } from "../../../src/core/providers/hybrid_kem.ts";
import { readFixture, unhex } from "./_fixture.ts";
import { expectMethods } from "./_methods.ts";

interface XWingFixture {
  vectors: { seed: string; sk: string; pk: string; eseed: string; ct: string; ss: string }[];
  x509Example: { seed: string; publicKeyPem: string };
}

const fixture = readFixture<XWingFixture>("xwing_draft10.json");

Deno.test("X-Wing draft-10 vectors: seed → pk, eseed → ct and ss, and decapsulation", async () => {
  assert.equal(fixture.vectors.length, 3);
  for (const [i, v] of fixture.vectors.entries()) {
    assert.equal(v.sk, v.seed, "X-Wing's decapsulation key is its seed");
    const key = expectMethods(
      await hybridKemProvider.load("ML-KEM-768-X25519", unhex(v.seed)),
      "decapsulate",
      "publicKey",
    );
    assert.equal(toHex(key.publicKey().raw ?? new Uint8Array()), v.pk, `vector ${i} pk`);
    const encapsulator = expectMethods(
      hybridKemPublicKey("ML-KEM-768-X25519", unhex(v.pk), {
        random: (buf) => buf.set(unhex(v.eseed)),
      }),
      "encapsulate",
    );
    const { ciphertext, sharedSecret } = await encapsulator.encapsulate();
    assert.equal(toHex(ciphertext), v.ct, `vector ${i} ct`);
    assert.equal(toHex(sharedSecret), v.ss, `vector ${i} ss`);
    assert.equal(toHex(await key.decapsulate(unhex(v.ct))), v.ss, `vector ${i} decapsulation`);
    key.dispose();
  }
});

Deno.test("the X-Wing SPKI matches the draft's X.509 example (OID 1.3.6.1.4.1.62253.25722)", async () => {
  const { seed, publicKeyPem } = fixture.x509Example;
  const key = expectMethods(
    await hybridKemProvider.load("ML-KEM-768-X25519", unhex(seed)),
    "publicKey",
  );
  assert.equal(toPem("PUBLIC KEY", key.publicKey().spki).trim(), publicKeyPem.trim());
});
