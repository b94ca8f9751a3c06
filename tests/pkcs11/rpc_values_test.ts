import assert from "node:assert/strict";
import { CKA, CKM } from "../../src/pkcs11/constants.ts";
import { RpcProtocolError, RpcReader, RpcWriter } from "../../src/pkcs11/rpc_codec.ts";
import {
  attributeKind,
  readAttribute,
  readMechanism,
  writeAttribute,
  writeMechanism,
} from "../../src/pkcs11/rpc_values.ts";
import { hex, toHexString } from "./_fake_backend.ts";

function written(fn: (w: RpcWriter) => void): string {
  const w = new RpcWriter();
  fn(w);
  return toHexString(w.finish());
}

Deno.test("attribute value encodings follow the attribute type", () => {
  assert.equal(attributeKind(CKA.SIGN), "byte");
  assert.equal(attributeKind(CKA.CLASS), "ulong");
  assert.equal(attributeKind(CKA.LABEL), "bytes");
  assert.equal(attributeKind(0x8000_1234), "bytes");
  assert.equal(attributeKind(CKA.START_DATE), "date");
  assert.equal(attributeKind(CKA.ALLOWED_MECHANISMS), "mechanisms");
  assert.equal(attributeKind(CKA.WRAP_TEMPLATE), "attributes");
});

Deno.test("reply attributes encode values, size answers and unavailable ones", () => {
  // type ‖ validity ‖ length ‖ value
  assert.equal(
    written((w) => writeAttribute(w, { type: CKA.SIGN, value: 1 })),
    "00000108" + "01" + "00000001" + "01",
  );
  assert.equal(
    written((w) => writeAttribute(w, { type: CKA.CLASS, value: 3 })),
    "00000000" + "01" + "00000008" + "0000000000000003",
  );
  assert.equal(
    written((w) => writeAttribute(w, { type: CKA.LABEL, value: hex("6162") })),
    "00000003" + "01" + "00000002" + "00000002" + "6162",
  );
  // A size answer sends the length and a NULL value (what p11-kit's own server sends).
  assert.equal(
    written((w) => writeAttribute(w, { type: CKA.LABEL, length: 9 })),
    "00000003" + "01" + "00000009" + "ffffffff",
  );
  assert.equal(written((w) => writeAttribute(w, { type: CKA.VALUE })), "00000011" + "00");
  assert.equal(
    written((w) => writeAttribute(w, { type: CKA.ALLOWED_MECHANISMS, value: [CKM.ECDSA] })),
    "40000600" + "01" + "00000008" + "00000001" + "0000000000001041",
  );
  assert.equal(
    written((w) => writeAttribute(w, { type: CKA.START_DATE, value: hex("") })),
    "00000110" + "01" + "00000000" + "ffffffff",
  );
}); // deno-fmt-ignore

Deno.test("request attributes decode by type, and a value longer than declared is refused", () => {
  const bool = readAttribute(new RpcReader(hex("00000001" + "01" + "00000001" + "01")));
  assert.deepEqual(bool, { type: CKA.TOKEN, value: 1 });
  const unavailable = readAttribute(new RpcReader(hex("00000011" + "00")));
  assert.deepEqual(unavailable, { type: CKA.VALUE });
  assert.throws(
    () => readAttribute(new RpcReader(hex("00000003" + "01" + "00000001" + "00000002" + "6162"))),
    RpcProtocolError,
  );
  assert.throws(() => readAttribute(new RpcReader(hex("00000001" + "02"))), RpcProtocolError);
});

Deno.test("nested attribute arrays are decoded one level deep only", () => {
  const inner = "00000001" + "01" + "00000001" + "01";
  const one = hex("40000211" + "01" + "00000018" + "00000001" + inner);
  const decoded = readAttribute(new RpcReader(one));
  assert.deepEqual(decoded, { type: CKA.WRAP_TEMPLATE, value: [{ type: CKA.TOKEN, value: 1 }] });
  const nestedInner = "40000211" + "01" + "00000018" + "00000001" + inner;
  const two = hex("40000211" + "01" + "00000018" + "00000001" + nestedInner);
  assert.throws(() => readAttribute(new RpcReader(two)), RpcProtocolError);
}); // deno-fmt-ignore

Deno.test("OAEP and PSS mechanism parameters round-trip in p11-kit's layout", () => {
  const oaep = "00000009" + "0000000000000250" + "0000000000000002" + "0000000000000001" + "00000003616263";
  const decoded = readMechanism(new RpcReader(hex(oaep)));
  assert.deepEqual(decoded, {
    type: CKM.RSA_PKCS_OAEP,
    params: { kind: "oaep", hashAlg: CKM.SHA256, mgf: 2, source: 1, sourceData: hex("616263") },
  });
  assert.equal(written((w) => writeMechanism(w, decoded)), oaep);
  const pss = "0000000d" + "0000000000000250" + "0000000000000002" + "0000000000000020";
  const p = readMechanism(new RpcReader(hex(pss)));
  assert.deepEqual(p.params, { kind: "pss", hashAlg: CKM.SHA256, mgf: 2, saltLength: 32 });
  assert.equal(written((w) => writeMechanism(w, p)), pss);
  const plain = readMechanism(new RpcReader(hex("00001041" + "ffffffff")));
  assert.deepEqual(plain, { type: CKM.ECDSA, params: null });
});
