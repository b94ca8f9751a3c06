import assert from "node:assert/strict";
import { derToRaw, rawToDer } from "../../src/core/der.ts";
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
    derToRaw(bytes(0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02), 32),
    raw32(1, 2),
  );
});

Deno.test("derToRaw accepts the sign octet that a high-bit integer needs", () => {
  const der = bytes(0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x01);
  assert.deepEqual(derToRaw(der, 32), raw32(0x80, 1));
});

Deno.test("derToRaw leaves zero integers to verification to reject", () => {
  assert.deepEqual(
    derToRaw(bytes(0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00), 32),
    raw32(0, 0),
  );
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
    assert.equal(derToRaw(der, 32), undefined);
  });
}

Deno.test("derToRaw rejects integers longer than the field", () => {
  const raw = new Uint8Array(66).fill(0x11); // 33 significant bytes per integer
  const der = rawToDer(raw);
  assert.equal(derToRaw(der, 32), undefined);
  assert.deepEqual(derToRaw(der, 33), raw);
});

Deno.test("derToRaw accepts a 33-byte integer whose first byte is the sign octet", () => {
  const raw = new Uint8Array(64).fill(0xff);
  const der = rawToDer(raw);
  assert.equal(der.length, 2 + 2 * (2 + 33));
  assert.deepEqual(derToRaw(der, 32), raw);
});

Deno.test("rawToDer and derToRaw round-trip random signatures of every field size", () => {
  for (const size of [32, 48, 66]) {
    for (let i = 0; i < 50; i++) {
      const raw = crypto.getRandomValues(new Uint8Array(2 * size));
      if (i % 3 === 0) raw.fill(0, 0, 1 + (i % size)); // leading zero bytes in r
      if (i % 5 === 0) raw[size] = 0x80; // high bit in s
      const der = rawToDer(raw);
      assert.deepEqual(derToRaw(der, size), raw);
    }
  }
});

Deno.test("rawToDer uses a long-form length when the sequence needs one", () => {
  const der = rawToDer(new Uint8Array(132).fill(0x80)); // P-521 sized, both padded
  assert.deepEqual([...der.subarray(0, 3)], [0x30, 0x81, 2 * (2 + 67)]);
  assert.deepEqual(derToRaw(der, 66), new Uint8Array(132).fill(0x80));
});

Deno.test("rawToDer refuses odd or empty input", () => {
  assert.throws(() => rawToDer(new Uint8Array(63)), RangeError);
  assert.throws(() => rawToDer(new Uint8Array(0)), RangeError);
  assert.throws(() => derToRaw(new Uint8Array(8), 0), RangeError);
});

interface EcdsaFile {
  testGroups: { tests: { tcId: number; sig: string; result: string }[] }[];
}

for (const file of ["ecdsa_secp256r1_sha256_test.json", "ecdsa_secp384r1_sha384_test.json"]) {
  const path = `wycheproof/testvectors_v1/${file}`;
  vectorTest(
    `wycheproof ${file}: derToRaw accepts only encodings that re-encode identically`,
    path,
    () => {
      const size = file.includes("secp256r1") ? 32 : 48;
      const vectors = loadVectors<EcdsaFile>(path);
      let refused = 0;
      let total = 0;
      for (const group of vectors.testGroups) {
        for (const t of group.tests) {
          const sig = hex(t.sig);
          const raw = derToRaw(sig, size);
          total++;
          if (raw === undefined) {
            assert.notEqual(t.result, "valid", `tcId ${t.tcId}`);
            refused++;
          } else {
            assert.deepEqual(rawToDer(raw), sig, `tcId ${t.tcId} parsed but is not canonical`);
          }
        }
      }
      // Most invalid cases in these files are encoding attacks caught before any arithmetic.
      assert.ok(total >= 480 && refused >= 230, `refused ${refused} of ${total}`);
    },
  );
}
