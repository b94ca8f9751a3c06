import assert from "node:assert/strict";
import { CKA, CKK, CKM, CKO } from "../../src/pkcs11/constants.ts";
import {
  attributeOf,
  derOctetString,
  INVALID,
  keyClasses,
  matchesTemplate,
  NEEDS_PUBLIC_KEY,
  SENSITIVE,
} from "../../src/pkcs11/objects.ts";
import type { TokenKey } from "../../src/pkcs11/token_backend.ts";
import { FAKE_KEYS } from "./_fake_backend.ts";

function key(id: string): TokenKey {
  const found = FAKE_KEYS.find((k) => k.id === id);
  if (found === undefined) throw new Error(`no fake key ${id}`);
  return found;
}

const ec = key("ec-1");
const rsa = key("rsa-1");
const hmac = key("hmac-1");
const aes = key("aes-1");

Deno.test("EC and RSA keys are key pairs, HMAC and AES secret keys, others hidden", () => {
  assert.deepEqual(keyClasses(ec), [CKO.PRIVATE_KEY, CKO.PUBLIC_KEY]);
  assert.deepEqual(keyClasses(rsa), [CKO.PRIVATE_KEY, CKO.PUBLIC_KEY]);
  assert.deepEqual(keyClasses(hmac), [CKO.SECRET_KEY]);
  assert.deepEqual(keyClasses(aes), [CKO.SECRET_KEY]);
  assert.deepEqual(keyClasses(key("ed-1")), []);
  assert.deepEqual(keyClasses(key("old-1")), []);
  assert.deepEqual(keyClasses({ ...ec, state: "staged" }), []);
}); // deno-fmt-ignore

Deno.test("label, id, key type and the never-extractable flags follow the key", () => {
  assert.deepEqual(attributeOf(ec, CKO.PRIVATE_KEY, CKA.LABEL), new TextEncoder().encode("signer"));
  assert.deepEqual(attributeOf(ec, CKO.PUBLIC_KEY, CKA.ID), new TextEncoder().encode("ec-1"));
  assert.equal(attributeOf(rsa, CKO.PRIVATE_KEY, CKA.KEY_TYPE), CKK.RSA);
  assert.equal(attributeOf(hmac, CKO.SECRET_KEY, CKA.KEY_TYPE), CKK.GENERIC_SECRET);
  assert.equal(attributeOf(aes, CKO.SECRET_KEY, CKA.VALUE_LEN), 32);
  for (const [key_, cls] of [[ec, CKO.PRIVATE_KEY], [hmac, CKO.SECRET_KEY]] as const) {
    assert.equal(attributeOf(key_, cls, CKA.SENSITIVE), 1);
    assert.equal(attributeOf(key_, cls, CKA.EXTRACTABLE), 0);
    assert.equal(attributeOf(key_, cls, CKA.NEVER_EXTRACTABLE), 1);
    assert.equal(attributeOf(key_, cls, CKA.ALWAYS_SENSITIVE), 1);
    assert.equal(attributeOf(key_, cls, CKA.VALUE), SENSITIVE);
  }
  assert.equal(attributeOf(rsa, CKO.PRIVATE_KEY, CKA.PRIVATE_EXPONENT), SENSITIVE);
  assert.equal(attributeOf(ec, CKO.PUBLIC_KEY, CKA.SENSITIVE), INVALID);
  assert.equal(attributeOf(ec, CKO.PUBLIC_KEY, 0x8000_0001), INVALID);
}); // deno-fmt-ignore

Deno.test("usage flags come from the key's usages, per object class", () => {
  assert.equal(attributeOf(ec, CKO.PRIVATE_KEY, CKA.SIGN), 1);
  assert.equal(attributeOf(ec, CKO.PRIVATE_KEY, CKA.DECRYPT), 0);
  assert.equal(attributeOf(ec, CKO.PUBLIC_KEY, CKA.VERIFY), 1);
  assert.equal(attributeOf(rsa, CKO.PUBLIC_KEY, CKA.ENCRYPT), 1);
  assert.equal(attributeOf(rsa, CKO.PRIVATE_KEY, CKA.DECRYPT), 1);
  assert.equal(attributeOf(rsa, CKO.PUBLIC_KEY, CKA.WRAP), 0);
  assert.equal(attributeOf(hmac, CKO.SECRET_KEY, CKA.SIGN), 1);
  assert.equal(attributeOf(hmac, CKO.SECRET_KEY, CKA.ENCRYPT), 0);
  assert.equal(attributeOf(aes, CKO.SECRET_KEY, CKA.ENCRYPT), 1);
  assert.deepEqual(attributeOf(ec, CKO.PRIVATE_KEY, CKA.ALLOWED_MECHANISMS), [
    CKM.ECDSA, CKM.ECDSA_SHA256, CKM.ECDSA_SHA384, CKM.ECDSA_SHA512,
  ]);
  assert.deepEqual(attributeOf(aes, CKO.SECRET_KEY, CKA.ALLOWED_MECHANISMS), []);
}); // deno-fmt-ignore

Deno.test("public values need the public key; EC_POINT is a DER OCTET STRING", () => {
  assert.equal(attributeOf(ec, CKO.PUBLIC_KEY, CKA.EC_POINT), NEEDS_PUBLIC_KEY);
  assert.deepEqual(attributeOf(ec, CKO.PUBLIC_KEY, CKA.EC_PARAMS), Uint8Array.of(6, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 3, 1, 7));
  const point = new Uint8Array(65).fill(4);
  assert.deepEqual(attributeOf(ec, CKO.PUBLIC_KEY, CKA.EC_POINT, { spki: new Uint8Array(), ecPoint: point }), derOctetString(point));
  assert.equal(attributeOf(rsa, CKO.PUBLIC_KEY, CKA.MODULUS_BITS), 2048);
  assert.equal(attributeOf(rsa, CKO.PUBLIC_KEY, CKA.MODULUS), NEEDS_PUBLIC_KEY);
  assert.deepEqual(derOctetString(new Uint8Array(200)).subarray(0, 3), Uint8Array.of(0x04, 0x81, 200));
}); // deno-fmt-ignore

Deno.test("templates match exactly; missing and sensitive attributes never match", () => {
  const label = { type: CKA.LABEL, value: new TextEncoder().encode("signer") };
  assert.equal(matchesTemplate(ec, CKO.PRIVATE_KEY, [label, { type: CKA.SIGN, value: 1 }]), true);
  assert.equal(matchesTemplate(ec, CKO.PRIVATE_KEY, [{ type: CKA.SIGN, value: 0 }]), false);
  assert.equal(matchesTemplate(ec, CKO.PRIVATE_KEY, [{ type: CKA.VALUE, value: new Uint8Array() }]), false);
  assert.equal(matchesTemplate(ec, CKO.PRIVATE_KEY, [{ type: CKA.MODULUS, value: new Uint8Array() }]), false);
  assert.equal(matchesTemplate(ec, CKO.PUBLIC_KEY, [{ type: CKA.EC_POINT, value: new Uint8Array() }]), NEEDS_PUBLIC_KEY);
  assert.equal(matchesTemplate(ec, CKO.PUBLIC_KEY, [{ type: CKA.CLASS }]), false);
});
