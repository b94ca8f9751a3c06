import assert from "node:assert/strict";
import { p256, p384 } from "@noble/curves/nist.js";
import { derToRaw, rawToDer } from "../../src/core/ecdsa_signature.ts";
import { hex, loadVectors, vectorTest } from "../_vectors.ts";

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

function raw32(r: number, s: number): Uint8Array {
  const out = new Uint8Array(64);
  out[31] = r;
  out[63] = s;
  return out;
}

Deno.test("derToRaw decodes a minimal signature into left-padded halves", () => {
  assert.deepEqual(
    derToRaw("P-256", bytes(0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02)),
    raw32(1, 2),
  );
});

Deno.test("derToRaw accepts the sign octet that a high-bit integer needs", () => {
  const der = bytes(0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x01);
  assert.deepEqual(derToRaw("P-256", der), raw32(0x80, 1));
});

Deno.test("derToRaw refuses zero integers (out of range 1..n-1)", () => {
  assert.equal(derToRaw("P-256", bytes(0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00)), undefined);
});

const MALFORMED: [string, Uint8Array][] = [
  ["empty input", bytes()],
  ["a lone tag", bytes(0x30)],
  ["an empty sequence", bytes(0x30, 0x00)],
  ["one integer only", bytes(0x30, 0x03, 0x02, 0x01, 0x01)],
  ["three integers", bytes(0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01)],
  ["a SET instead of a SEQUENCE", bytes(0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01)],
  ["a primitive SEQUENCE tag", bytes(0x10, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01)],
  ["an OCTET STRING for r", bytes(0x30, 0x06, 0x04, 0x01, 0x01, 0x02, 0x01, 0x01)],
  ["a BIT STRING for s", bytes(0x30, 0x06, 0x02, 0x01, 0x01, 0x03, 0x01, 0x01)],
  ["a high tag number form", bytes(0x30, 0x07, 0x1f, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01)],
  ["an empty integer", bytes(0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x01)],
  ["a negative r", bytes(0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x01)],
  ["a negative s", bytes(0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0xff)],
  ["a superfluous leading zero", bytes(0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01)],
  ["a superfluous 0xff prefix", bytes(0x30, 0x07, 0x02, 0x02, 0xff, 0x81, 0x02, 0x01, 0x01)],
  [
    "a long-form outer length below 128",
    bytes(0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01),
  ],
  ["a long-form integer length", bytes(0x30, 0x07, 0x02, 0x81, 0x01, 0x01, 0x02, 0x01, 0x01)],
  [
    "a zero-padded long-form length",
    bytes(0x30, 0x82, 0x00, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01),
  ],
  ["a BER indefinite length", bytes(0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00, 0x00)],
  ["a length that overruns the input", bytes(0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01)],
  ["an integer that overruns its sequence", bytes(0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x02, 0x01)],
  ["a short outer length", bytes(0x30, 0x05, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01)],
  ["a trailing byte", bytes(0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00)],
  ["a trailing element inside", bytes(0x30, 0x08, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x05, 0x00)],
  ["a five-octet length", bytes(0x30, 0x85, 0x00, 0x00, 0x00, 0x00, 0x06)],
];

for (const [what, der] of MALFORMED) {
  Deno.test(`derToRaw rejects ${what}`, () => {
    assert.equal(derToRaw("P-256", der), undefined);
  });
}

Deno.test("derToRaw rejects integers longer than the field", () => {
  const der = rawToDer("P-384", p384Raw());
  assert.equal(derToRaw("P-256", der), undefined);
  assert.deepEqual(derToRaw("P-384", der), p384Raw());
});

Deno.test("derToRaw accepts a 33-byte integer whose first byte is the sign octet", () => {
  const raw = new Uint8Array(64).fill(0xcc); // below the P-256 order, high bit set
  const der = rawToDer("P-256", raw);
  assert.equal(der.length, 2 + 2 * (2 + 33));
  assert.deepEqual(derToRaw("P-256", der), raw);
});

Deno.test("rawToDer and derToRaw round-trip real signatures of both curves", () => {
  for (const [curve, noble] of [["P-256", p256], ["P-384", p384]] as const) {
    for (let i = 0; i < 20; i++) {
      const { secretKey } = noble.keygen();
      const raw = noble.sign(crypto.getRandomValues(new Uint8Array(32)), secretKey, {
        prehash: false,
      });
      assert.deepEqual(derToRaw(curve, rawToDer(curve, raw)), raw);
    }
  }
});

Deno.test("rawToDer refuses input that is not a signature of the curve", () => {
  assert.throws(() => rawToDer("P-256", new Uint8Array(63)), RangeError);
  assert.throws(() => rawToDer("P-256", new Uint8Array(0)), RangeError);
  assert.throws(() => rawToDer("P-256", new Uint8Array(64)), RangeError);
});

function p384Raw(): Uint8Array {
  return new Uint8Array(96).fill(0x11);
}

interface EcdsaFile {
  testGroups: { tests: { tcId: number; sig: string; result: string }[] }[];
}

for (const file of ["ecdsa_secp256r1_sha256_test.json", "ecdsa_secp384r1_sha384_test.json"]) {
  const path = `wycheproof/testvectors_v1/${file}`;
  vectorTest(
    `wycheproof ${file}: derToRaw accepts only encodings that re-encode identically`,
    path,
    () => {
      const curve = file.includes("secp256r1") ? "P-256" : "P-384";
      const vectors = loadVectors<EcdsaFile>(path);
      let refused = 0;
      let total = 0;
      for (const group of vectors.testGroups) {
        for (const t of group.tests) {
          const sig = hex(t.sig);
          const raw = derToRaw(curve, sig);
          total++;
          if (raw === undefined) {
            assert.notEqual(t.result, "valid", `tcId ${t.tcId}`);
            refused++;
          } else {
            assert.deepEqual(
              rawToDer(curve, raw),
              sig,
              `tcId ${t.tcId} parsed but is not canonical`,
            );
          }
        }
      }
      // Most invalid cases in these files are encoding attacks caught before any arithmetic.
      assert.ok(total >= 480 && refused >= 230, `refused ${refused} of ${total}`);
    },
  );
}
