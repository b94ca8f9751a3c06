/**
 * Composite ML-DSA (`ML-DSA-65-EC-P256`, `ML-DSA-87-EC-P384`) against the test vectors of
 * draft-ietf-lamps-pq-composite-sigs-19 (src/testvectors.json; see fixtures/SOURCES.md):
 * the published signatures over `m` verify with an empty context (`s`) and with `ctx`
 * (`sWithContext`), the published private key loads into the published public key, a
 * fresh signature by it verifies, and our SPKI is the one in the vector's certificate.
 */

import assert from "node:assert/strict";
import { toHex } from "../../../src/core/encoding.ts";
import {
  compositePublicKey,
  compositeSigProvider,
} from "../../../src/core/providers/composite_sig.ts";
import { readFixture, unbase64 } from "./_fixture.ts";
import { expectMethods } from "./_methods.ts";

interface CompositeFixture {
  m: string;
  ctx: string;
  tests: {
    algorithm: "ML-DSA-65-EC-P256" | "ML-DSA-87-EC-P384";
    tcId: string;
    pk: string;
    x5c: string;
    sk: string;
    s: string;
    sWithContext: string;
  }[];
}

const fixture = readFixture<CompositeFixture>("composite_sigs_draft19.json");
const message = unbase64(fixture.m);
const context = unbase64(fixture.ctx);

for (const tc of fixture.tests) {
  Deno.test(`${tc.algorithm} (${tc.tcId}) verifies the draft-19 signatures with and without ctx`, async () => {
    const verifier = expectMethods(
      await compositePublicKey(tc.algorithm, unbase64(tc.pk)),
      "verify",
    );
    const s = unbase64(tc.s);
    const sWithContext = unbase64(tc.sWithContext);
    assert.equal(await verifier.verify(message, s), true);
    assert.equal(await verifier.verify(message, sWithContext, { context }), true);
    assert.equal(await verifier.verify(message, s, { context }), false);
    assert.equal(await verifier.verify(message, sWithContext), false);
  });

  Deno.test(`${tc.algorithm} (${tc.tcId}) loads the draft-19 private key; its SPKI is the certificate's`, async () => {
    const key = expectMethods(
      await compositeSigProvider.load(tc.algorithm, unbase64(tc.sk)),
      "sign",
      "verify",
      "publicKey",
    );
    const exported = key.publicKey();
    assert.equal(toHex(exported.raw ?? new Uint8Array()), toHex(unbase64(tc.pk)));
    assert.ok(toHex(unbase64(tc.x5c)).includes(toHex(exported.spki)), "SPKI inside x5c");
    const verifier = expectMethods(
      await compositePublicKey(tc.algorithm, unbase64(tc.pk)),
      "verify",
    );
    assert.equal(
      await verifier.verify(message, await key.sign(message, { context }), { context }),
      true,
    );
    key.dispose();
  });
}
