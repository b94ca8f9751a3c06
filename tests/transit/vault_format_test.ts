import assert from "node:assert/strict";
import { isHsmError } from "../../src/domain/errors.ts";
import {
  decodeSignature,
  encodeSignature,
  ferroCiphertext,
  formatVersioned,
  MAX_BATCH_ITEMS,
  parseVaultBody,
  parseVersioned,
  transitCiphertext,
  VaultFields,
} from "../../src/transit/vault_format.ts";

const invalid = (err: unknown) => isHsmError(err, "invalid_request");

Deno.test("vault:v<N>: strings split into version and data and format back", () => {
  assert.deepEqual(parseVersioned("vault:v12:AbC+/=", "ciphertext"), {
    version: 12,
    data: "AbC+/=",
  });
  assert.equal(formatVersioned(3, "xyz"), "vault:v3:xyz");
  for (
    const bad of ["vault:v0:AA", "vault:1:AA", "fhsm:v1:AA", "vault:v1:A A", "vault:v01:AA", 5]
  ) {
    assert.throws(() => parseVersioned(bad, "ciphertext"), invalid, String(bad));
  }
});

Deno.test("FerroHSM ciphertexts become Transit ciphertexts under the same bytes", () => {
  assert.equal(transitCiphertext("fhsm:v4:AAAA", 4), "vault:v4:AAAA");
  assert.equal(transitCiphertext("QUJD", 2), "vault:v2:QUJD");
  assert.equal(ferroCiphertext(parseVersioned("vault:v4:AAAA", "c")), "fhsm:v4:AAAA");
});

Deno.test("jws marshaling is unpadded base64url, asn1 standard base64", () => {
  const bytes = new Uint8Array([251, 255, 0, 1]);
  assert.equal(encodeSignature(bytes, "asn1"), "+/8AAQ==");
  assert.equal(encodeSignature(bytes, "jws"), "-_8AAQ");
  assert.deepEqual(decodeSignature("-_8AAQ", "jws"), bytes);
  assert.deepEqual(decodeSignature("+/8AAQ==", "asn1"), bytes);
  assert.throws(() => decodeSignature("-_8AAQ", "asn1"), invalid);
  assert.throws(() => decodeSignature("", "asn1"), invalid);
});

Deno.test("fields decode as Vault's do: booleans and integers may be strings", () => {
  const f = new VaultFields({
    a: "true",
    b: 0,
    c: "12",
    d: 7,
    e: "YWJj",
    n: null,
    s: "pss",
  });
  assert.equal(f.bool("a"), true);
  assert.equal(f.bool("b"), false);
  assert.equal(f.int("c"), 12);
  assert.equal(f.int("d"), 7);
  assert.deepEqual(f.bytes("e"), new TextEncoder().encode("abc"));
  assert.equal(f.has("n"), false);
  assert.equal(f.string("missing"), undefined);
  assert.equal(f.choice("s", ["pss", "pkcs1v15"], "pss"), "pss");
  assert.equal(f.choice("missing", ["asn1", "jws"], "asn1"), "asn1");
  assert.throws(() => f.int("a"), invalid);
  assert.throws(() => f.bool("c"), invalid);
  assert.throws(() => f.string("d"), invalid);
  assert.throws(() => f.bytes("s"), invalid);
  assert.throws(() => f.choice("s", ["asn1"], "asn1"), invalid);
  assert.throws(() => new VaultFields({ k: -1 }).int("k"), invalid);
  assert.equal(new VaultFields({ k: "" }).bytes("k", true), undefined);
});

Deno.test("batch_input must be a non-empty list of at most 1000 objects", () => {
  assert.equal(new VaultFields({}).batch(), undefined);
  assert.equal(new VaultFields({ batch_input: [{}, {}] }).batch()?.length, 2);
  for (const bad of [[], [1], [[]], "x", Array(MAX_BATCH_ITEMS + 1).fill({})]) {
    assert.throws(() => new VaultFields({ batch_input: bad }).batch(), invalid);
  }
  const err = (() => {
    try {
      new VaultFields({ batch_input: [{ plaintext: 1 }] }).batch()?.[0]?.string("plaintext");
    } catch (e) {
      return e as Error;
    }
  })();
  assert.match(err?.message ?? "", /batch_input\[0\]\.plaintext/);
});

Deno.test("a body is empty or a JSON object", () => {
  assert.equal(parseVaultBody("").has("x"), false);
  assert.equal(parseVaultBody(' {"x": 1} ').int("x"), 1);
  for (const bad of ["{", "[]", "null", "3"]) assert.throws(() => parseVaultBody(bad), invalid);
  // A "__proto__" member is an own field, never the prototype.
  assert.equal(parseVaultBody('{"__proto__": "x"}').string("__proto__"), "x");
  assert.equal(parseVaultBody("{}").has("toString"), false);
});
