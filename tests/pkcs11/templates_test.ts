import assert from "node:assert/strict";
import { CKA, CKK, CKM, CKO, CKR } from "../../src/pkcs11/constants.ts";
import { keyPairRequest, secretKeyRequest } from "../../src/pkcs11/templates.ts";
import { Pkcs11Error } from "../../src/pkcs11/token_backend.ts";
import type { Attribute } from "../../src/pkcs11/rpc_values.ts";
import { hex } from "./_fake_backend.ts";

const P256 = hex("06082a8648ce3d030107");
const label = (s: string): Attribute => ({ type: CKA.LABEL, value: new TextEncoder().encode(s) });

function rv(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof Pkcs11Error) return err.rv;
    throw err;
  }
  return undefined;
}

Deno.test("an EC key pair template becomes a sign/verify key on its curve", () => {
  const key = keyPairRequest(CKM.EC_KEY_PAIR_GEN, [
    { type: CKA.EC_PARAMS, value: P256 },
    label("a"),
  ], [
    { type: CKA.SIGN, value: 1 },
    { type: CKA.DERIVE, value: 1 },
  ]);
  assert.deepEqual(key, { name: "a", algorithm: "EC-P256", usage: ["sign", "verify"] });
  const p384 = keyPairRequest(CKM.EC_KEY_PAIR_GEN, [{
    type: CKA.EC_PARAMS,
    value: hex("06052b81040022"),
  }], []);
  assert.equal(p384.algorithm, "EC-P384");
  assert.match(p384.name, /^pkcs11-[0-9a-f]{8}$/);
}); // deno-fmt-ignore

Deno.test("an RSA template sets the size and adds encryption when asked", () => {
  const key = keyPairRequest(
    CKM.RSA_PKCS_KEY_PAIR_GEN,
    [{ type: CKA.MODULUS_BITS, value: 3072 }, { type: CKA.PUBLIC_EXPONENT, value: hex("010001") }, { type: CKA.ENCRYPT, value: 1 }],
    [{ type: CKA.DECRYPT, value: 1 }, { type: CKA.SIGN, value: 0 }, label("r")],
  );
  assert.deepEqual(key, { name: "r", algorithm: "RSA-3072", usage: ["verify", "encrypt", "decrypt"] });
}); // deno-fmt-ignore

Deno.test("key pair templates FerroHSM cannot honour are refused with the matching CKR", () => {
  const ec = (pub: Attribute[], priv: Attribute[] = []) => () => keyPairRequest(CKM.EC_KEY_PAIR_GEN, pub, priv);
  assert.equal(rv(ec([])), CKR.TEMPLATE_INCOMPLETE);
  assert.equal(rv(ec([{ type: CKA.EC_PARAMS, value: hex("06052b8104000a") }])), CKR.CURVE_NOT_SUPPORTED);
  assert.equal(rv(ec([{ type: CKA.EC_PARAMS, value: P256 }, { type: CKA.TOKEN, value: 0 }])), CKR.TEMPLATE_INCONSISTENT);
  assert.equal(rv(ec([{ type: CKA.EC_PARAMS, value: P256 }], [{ type: CKA.EXTRACTABLE, value: 1 }])), CKR.TEMPLATE_INCONSISTENT);
  assert.equal(rv(ec([{ type: CKA.EC_PARAMS, value: P256 }], [{ type: CKA.CLASS, value: CKO.SECRET_KEY }])), CKR.TEMPLATE_INCONSISTENT);
  assert.equal(rv(ec([{ type: CKA.EC_PARAMS, value: P256 }, { type: CKA.KEY_TYPE, value: CKK.RSA }])), CKR.TEMPLATE_INCONSISTENT);
  assert.equal(rv(ec([{ type: CKA.EC_PARAMS, value: P256 }], [{ type: CKA.SIGN, value: 0 }, { type: CKA.VERIFY, value: 0 }])), undefined);
  assert.equal(rv(ec([{ type: CKA.EC_PARAMS, value: P256 }, { type: CKA.VERIFY, value: 0 }], [{ type: CKA.SIGN, value: 0 }])), CKR.TEMPLATE_INCONSISTENT);
  assert.equal(rv(ec([{ type: CKA.EC_PARAMS, value: P256 }, label("bad\nname")])), CKR.ATTRIBUTE_VALUE_INVALID);
  assert.equal(rv(ec([{ type: CKA.EC_PARAMS, value: P256 }, label("x"), label("y")])), CKR.TEMPLATE_INCONSISTENT);
  const rsa = (bits: number, e?: string) => () =>
    keyPairRequest(CKM.RSA_PKCS_KEY_PAIR_GEN, [{ type: CKA.MODULUS_BITS, value: bits }, ...(e ? [{ type: CKA.PUBLIC_EXPONENT, value: hex(e) }] : [])], []);
  assert.equal(rv(rsa(1024)), CKR.KEY_SIZE_RANGE);
  assert.equal(rv(rsa(2048, "03")), CKR.TEMPLATE_INCONSISTENT);
  assert.equal(rv(rsa(2048, "00010001")), undefined);
  assert.equal(rv(() => keyPairRequest(CKM.ECDSA, [], [])), CKR.MECHANISM_INVALID);
}); // deno-fmt-ignore

Deno.test("pkcs11-tool's secret key templates become HMAC and AES-256 keys", () => {
  const generic: Attribute[] = [
    { type: CKA.CLASS, value: CKO.SECRET_KEY }, { type: CKA.KEY_TYPE, value: CKK.GENERIC_SECRET },
    { type: CKA.SENSITIVE, value: 0 }, { type: CKA.EXTRACTABLE, value: 0 }, { type: CKA.ENCRYPT, value: 1 },
    { type: CKA.DECRYPT, value: 1 }, { type: CKA.VALUE_LEN, value: 32 }, label("g"),
  ];
  assert.deepEqual(secretKeyRequest(CKM.GENERIC_SECRET_KEY_GEN, generic), { name: "g", algorithm: "HMAC-SHA256", usage: ["mac"] });
  const aes = secretKeyRequest(CKM.AES_KEY_GEN, [{ type: CKA.VALUE_LEN, value: 32 }, { type: CKA.WRAP, value: 1 }]);
  assert.deepEqual(aes.usage, ["encrypt", "decrypt", "wrap"]);
  assert.equal(rv(() => secretKeyRequest(CKM.AES_KEY_GEN, [{ type: CKA.VALUE_LEN, value: 16 }])), CKR.KEY_SIZE_RANGE);
  assert.equal(rv(() => secretKeyRequest(CKM.AES_KEY_GEN, [{ type: CKA.KEY_TYPE, value: CKK.GENERIC_SECRET }])), CKR.TEMPLATE_INCONSISTENT);
  assert.equal(rv(() => secretKeyRequest(CKM.EC_KEY_PAIR_GEN, [])), CKR.MECHANISM_INVALID);
});
