/**
 * NIST ACVP known-answer tests for SLH-DSA (FIPS 205), from the extracts in fixtures/ (see
 * fixtures/SOURCES.md).
 *
 * keyGen runs FerroHSM's provider: SK.seed‖SK.prf‖PK.seed → the published public key, for
 * the three parameter sets of the API. sigVer (2024 format) tests slh_verify_internal: the
 * message is M′ with no context formatting, which FerroHSM's pure API cannot express, so
 * it runs the internal function of `@noble/post-quantum` (the library the provider wraps)
 * on the published public key, and checks that FerroHSM's pure verifier (which formats
 * M′ = 0‖|ctx|‖ctx‖M itself) rejects the same bytes.
 */

import assert from "node:assert/strict";
import { slh_dsa_shake_128f } from "@noble/post-quantum/slh-dsa.js";
import type { Algorithm } from "../../../src/domain/algorithms.ts";
import { toHex } from "../../../src/core/encoding.ts";
import { slhDsaProvider, slhDsaPublicKey } from "../../../src/core/providers/slh_dsa.ts";
import { readFixture, unbase64, unhex } from "./_fixture.ts";
import { expectMethods } from "./_methods.ts";

interface KeyGenCase {
  tcId: number;
  skSeed: string;
  skPrf: string;
  pkSeed: string;
  sk: string;
  pk: string;
}

interface SigVerCase {
  tcId: number;
  testPassed: boolean;
  reason: string;
  pk: string;
  message: string;
  signatureBase64: string;
}

Deno.test("ACVP SLH-DSA keyGen: the provider derives the published public keys", async () => {
  const { groups } = readFixture<{ groups: Record<string, KeyGenCase[]> }>(
    "acvp_slh_dsa_keygen.json",
  );
  assert.deepEqual(Object.keys(groups).sort(), [
    "SLH-DSA-SHA2-128s",
    "SLH-DSA-SHA2-256s",
    "SLH-DSA-SHAKE-128f",
  ]);
  for (const [alg, cases] of Object.entries(groups)) {
    assert.equal(cases.length, 3);
    for (const tc of cases) {
      const seed = unhex(tc.skSeed + tc.skPrf + tc.pkSeed);
      const key = expectMethods(await slhDsaProvider.load(alg as Algorithm, seed), "publicKey");
      assert.equal(
        toHex(key.publicKey().raw ?? new Uint8Array()),
        tc.pk.toLowerCase(),
        `${alg} tcId ${tc.tcId}`,
      );
      assert.ok(tc.sk.toLowerCase().endsWith(tc.pk.toLowerCase()), "sk = seeds‖pk");
      key.dispose();
    }
  }
});

Deno.test("ACVP SLH-DSA-SHAKE-128f sigVer (slh_verify_internal) gives the published verdicts", async () => {
  const { tests } = readFixture<{ tests: SigVerCase[] }>("acvp_slh_dsa_sigver_shake128f.json");
  assert.deepEqual(tests.map((t) => [t.tcId, t.testPassed]), [[37, true], [41, false], [
    45,
    false,
  ]]);
  for (const tc of tests) {
    const pk = unhex(tc.pk);
    const message = unhex(tc.message);
    const signature = unbase64(tc.signatureBase64);
    assert.equal(signature.length, 17088);
    assert.equal(
      slh_dsa_shake_128f.internal.verify(signature, message, pk),
      tc.testPassed,
      `tcId ${tc.tcId}: ${tc.reason}`,
    );
    const verifier = expectMethods(slhDsaPublicKey("SLH-DSA-SHAKE-128f", pk), "verify");
    assert.equal(await verifier.verify(message, signature), false, "pure ≠ internal");
  }
});
