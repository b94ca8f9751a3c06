import assert from "node:assert/strict";
import { CKA, CKM, CKO } from "../../src/pkcs11/constants.ts";
import { callById, callByName, RPC_CALLS, signatureCodes } from "../../src/pkcs11/rpc_calls.ts";
import { RpcProtocolError } from "../../src/pkcs11/rpc_codec.ts";
import { decodeRequest, encodeError, encodeResponse } from "../../src/pkcs11/rpc_message.ts";
import { decodeReply } from "../../src/pkcs11/rpc_client.ts";
import * as golden from "./_golden.ts";
import { hex, toHexString } from "./_fake_backend.ts";

Deno.test("the call table has the 66 calls of protocol version 0 in wire order", () => {
  assert.equal(RPC_CALLS.length, 66);
  assert.equal(callByName("C_Initialize").id, 1);
  assert.equal(callByName("C_GetAttributeValue").id, 24);
  assert.equal(callByName("C_Sign").id, 43);
  assert.equal(callByName("C_GenerateKeyPair").id, 59);
  assert.equal(callByName("C_WaitForSlotEvent").id, 65);
  assert.equal(callById(0), undefined);
  assert.equal(callById(66), undefined);
  assert.deepEqual(signatureCodes("uMaAaA"), ["u", "M", "aA", "aA"]);
});

Deno.test("the real client's C_Initialize decodes to the handshake string", () => {
  const { call, args } = decodeRequest(hex(golden.INITIALIZE_REQUEST));
  assert.equal(call.name, "C_Initialize");
  const handshake = new TextDecoder().decode(args.bytes(0).bytes ?? new Uint8Array());
  assert.equal(handshake, "PRIVATE-GNOME-KEYRING-PKCS11-PROTOCOL-V-1");
  assert.equal(args.ulong(1), 0);
  assert.deepEqual(args.bytes(2).bytes, Uint8Array.of(0));
});

Deno.test("the real client's C_GetSlotList and C_OpenSession decode", () => {
  const size = decodeRequest(hex(golden.SLOT_LIST_SIZE_REQUEST));
  assert.equal(size.args.ulong(0), 0);
  assert.equal(size.args.ulong(1), 0);
  assert.equal(decodeRequest(hex(golden.SLOT_LIST_REQUEST)).args.ulong(1), 1);
  const open = decodeRequest(hex(golden.OPEN_SESSION_REQUEST));
  assert.equal(open.call.name, "C_OpenSession");
  assert.equal(open.args.ulong(0), 1);
  assert.equal(open.args.ulong(1), 4);
});

Deno.test("the real client's C_Login carries the PIN as a byte array", () => {
  const { args } = decodeRequest(hex(golden.LOGIN_REQUEST));
  assert.equal(args.ulong(0), 1);
  assert.equal(args.ulong(1), 1);
  assert.equal(new TextDecoder().decode(args.bytes(2).bytes ?? new Uint8Array()), "123456");
});

Deno.test("the real client's find template decodes class and id", () => {
  const { args } = decodeRequest(hex(golden.FIND_INIT_REQUEST));
  const [cls, id] = args.attributes(1);
  assert.deepEqual(cls, { type: CKA.CLASS, value: CKO.PRIVATE_KEY });
  assert.equal(id?.type, CKA.ID);
  assert.equal(
    new TextDecoder().decode(id?.value as Uint8Array),
    "63c9539e-1e25-4501-a46b-b2251145b1cc",
  );
});

Deno.test("the real client's attribute buffer and mechanisms decode", () => {
  const get = decodeRequest(hex(golden.GET_LABEL_REQUEST));
  assert.deepEqual(get.args.attributeRequests(2), [{ type: CKA.LABEL, length: 9 }]);
  const sign = decodeRequest(hex(golden.SIGN_INIT_REQUEST));
  assert.deepEqual(sign.args.mechanism(1), { type: CKM.ECDSA, params: null });
  assert.equal(sign.args.ulong(2), 1);
  const data = decodeRequest(hex(golden.SIGN_REQUEST));
  assert.equal(data.args.bytes(1).bytes?.length, 32);
  assert.equal(data.args.ulong(2), 512);
  const oaep = decodeRequest(hex(golden.DECRYPT_INIT_REQUEST)).args.mechanism(1);
  assert.deepEqual(oaep.params, {
    kind: "oaep",
    hashAlg: CKM.SHA256,
    mgf: 2,
    source: 0,
    sourceData: null,
  });
});

Deno.test("the real client's key pair templates decode with booleans, ulongs and the curve", () => {
  const { args } = decodeRequest(hex(golden.GENERATE_KEY_PAIR_REQUEST));
  assert.equal(args.mechanism(1).type, CKM.EC_KEY_PAIR_GEN);
  const pub = args.attributes(2);
  const priv = args.attributes(3);
  assert.equal(pub.length, 8);
  assert.equal(priv.length, 8);
  assert.deepEqual(pub.find((a) => a.type === CKA.EC_PARAMS)?.value, hex("06082a8648ce3d030107"));
  assert.equal(priv.find((a) => a.type === CKA.SIGN)?.value, 1);
  assert.equal(priv.find((a) => a.type === CKA.CLASS)?.value, CKO.PRIVATE_KEY);
});

Deno.test("our replies are byte-identical to the ones the real client accepted", () => {
  const slots = callByName("C_GetSlotList");
  assert.equal(
    toHexString(encodeResponse(slots, [{ lengthOnly: 1 }])),
    golden.SLOT_LIST_SIZE_REPLY,
  );
  assert.equal(toHexString(encodeResponse(slots, [[1]])), golden.SLOT_LIST_REPLY);
  assert.equal(toHexString(encodeError(0xa0)), golden.PIN_INCORRECT_REPLY);
  const get = callByName("C_GetAttributeValue");
  assert.equal(
    toHexString(encodeResponse(get, [[{ type: CKA.LABEL, length: 9 }], 0])),
    golden.GET_LABEL_SIZE_REPLY,
  );
  assert.equal(
    toHexString(
      encodeResponse(get, [[{ type: CKA.LABEL, value: new TextEncoder().encode("golden-ec") }], 0]),
    ),
    golden.GET_LABEL_REPLY,
  );
  assert.equal(
    toHexString(encodeResponse(get, [[{ type: CKA.CLASS, value: CKO.PUBLIC_KEY }], 0])),
    golden.GET_CLASS_REPLY,
  );
  assert.equal(toHexString(encodeResponse(get, [[{ type: 4 }], 0x12])), golden.GET_UNIQUE_ID_REPLY);
  const decrypt = callByName("C_Decrypt");
  assert.equal(
    toHexString(encodeResponse(decrypt, [new TextEncoder().encode("abc")])),
    golden.DECRYPT_REPLY,
  );
}); // deno-fmt-ignore

Deno.test("replies decode on the client side, error replies to their CKR", () => {
  assert.deepEqual(decodeReply("C_GetSlotList", hex(golden.SLOT_LIST_REPLY)), { rv: 0, values: [[1]] });
  assert.deepEqual(decodeReply("C_Login", hex(golden.PIN_INCORRECT_REPLY)), { rv: 0xa0, values: [] });
  assert.throws(() => decodeReply("C_Login", hex(golden.SLOT_LIST_REPLY)), RpcProtocolError);
}); // deno-fmt-ignore

Deno.test("a request with an unknown call id, the error id, a wrong signature or extra bytes is malformed", () => {
  assert.throws(() => decodeRequest(hex("00000042" + "00000000")), RpcProtocolError);
  assert.throws(() => decodeRequest(hex("00000000" + "0000000175" + "0000000000000001")), RpcProtocolError);
  assert.throws(() => decodeRequest(hex("00000005" + "0000000179" + "01")), RpcProtocolError);
  assert.throws(() => decodeRequest(hex("00000005" + "ffffffff")), RpcProtocolError);
  assert.throws(() => decodeRequest(hex(golden.SLOT_LIST_REQUEST + "00")), RpcProtocolError);
  assert.throws(() => decodeRequest(hex(golden.SIGN_REQUEST.slice(0, -2))), RpcProtocolError);
});
