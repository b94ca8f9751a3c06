import assert from "node:assert/strict";
import { CKA, CKM, CKO, CKR } from "../../src/pkcs11/constants.ts";
import { decodeRequest } from "../../src/pkcs11/rpc_message.ts";
import type { Attribute } from "../../src/pkcs11/rpc_values.ts";
import { bytes, Harness, hex } from "./_fake_backend.ts";
import { GENERATE_KEY_PAIR_REQUEST } from "./_golden.ts";

const enc = new TextEncoder();

Deno.test("nothing is found before login; after it EC/RSA pairs, HMAC and AES keys only", async () => {
  const h = new Harness();
  const s = await h.open(null);
  assert.deepEqual(await h.find(s, []), []);
  assert.equal((await h.call("C_Login", [s, 1, bytes("good")])).rv, CKR.OK);
  assert.equal((await h.find(s, [])).length, 6);
  assert.equal((await h.find(s, [{ type: CKA.CLASS, value: CKO.PRIVATE_KEY }])).length, 2);
  assert.equal((await h.find(s, [{ type: CKA.LABEL, value: enc.encode("signer") }])).length, 2);
  assert.equal((await h.find(s, [{ type: CKA.ID, value: enc.encode("hmac-1") }])).length, 1);
  assert.equal((await h.find(s, [{ type: CKA.SIGN, value: 1 }])).length, 3);
  assert.equal((await h.find(s, [{ type: CKA.VALUE, value: hex("00") }])).length, 0);
  const point = new Uint8Array([0x04, 0x41, ...new Uint8Array(65).fill(4)]);
  assert.equal((await h.find(s, [{ type: CKA.EC_POINT, value: point }])).length, 2);
});

Deno.test("find cursors hand out handles in batches and must be finished", async () => {
  const h = new Harness();
  const s = await h.open();
  await h.call("C_FindObjectsInit", [s, []]);
  assert.equal((await h.call("C_FindObjectsInit", [s, []])).rv, CKR.OPERATION_ACTIVE);
  const first = await h.call("C_FindObjects", [s, 4]);
  const second = await h.call("C_FindObjects", [s, 4]);
  assert.equal((first.values[0] as number[]).length, 4);
  assert.equal((second.values[0] as number[]).length, 2);
  assert.equal((await h.call("C_FindObjectsFinal", [s])).rv, CKR.OK);
  assert.equal((await h.call("C_FindObjects", [s, 4])).rv, CKR.OPERATION_NOT_INITIALIZED);
});

Deno.test("attribute reads answer sizes, values, too-small buffers and sensitive values", async () => {
  const h = new Harness();
  const s = await h.open();
  const priv = await h.handleOf(s, "signer", CKO.PRIVATE_KEY);
  const size = await h.call("C_GetAttributeValue", [s, priv, [{ type: CKA.LABEL, length: 0 }]]);
  assert.deepEqual(size.values, [[{ type: CKA.LABEL, value: new Uint8Array() }], CKR.OK]);
  const reply = await h.call("C_GetAttributeValue", [s, priv, [
    { type: CKA.LABEL, length: 64 },
    { type: CKA.SENSITIVE, length: 1 },
    { type: CKA.EXTRACTABLE, length: 1 },
    { type: CKA.KEY_TYPE, length: 8 },
    { type: CKA.EC_PARAMS, length: 64 },
    { type: CKA.ID, length: 2 },
    { type: CKA.VALUE, length: 64 },
    { type: CKA.MODULUS, length: 64 },
  ]]);
  const [attrs, rv] = reply.values as [Attribute[], number];
  assert.equal(rv, CKR.ATTRIBUTE_SENSITIVE);
  assert.deepEqual(attrs.map((a) => a.value), [
    enc.encode("signer"),
    1,
    0,
    3,
    hex("06082a8648ce3d030107"),
    undefined,
    undefined,
    undefined,
  ]);
  const pub = await h.handleOf(s, "signer", CKO.PUBLIC_KEY);
  const point = await h.call("C_GetAttributeValue", [s, pub, [{
    type: CKA.EC_POINT,
    length: 100,
  }]]);
  assert.deepEqual(
    (point.values[0] as Attribute[])[0]?.value,
    new Uint8Array([0x04, 0x41, ...new Uint8Array(65).fill(4)]),
  );
  const small = await h.call("C_GetAttributeValue", [s, priv, [{ type: CKA.LABEL, length: 2 }]]);
  assert.equal(small.values[1], CKR.BUFFER_TOO_SMALL);
  assert.equal((await h.call("C_GetAttributeValue", [s, 999, []])).rv, CKR.OBJECT_HANDLE_INVALID);
}); // deno-fmt-ignore

Deno.test("key generation needs a read/write session and creates FerroHSM keys", async () => {
  const h = new Harness();
  const s = await h.open();
  const golden = decodeRequest(hex(GENERATE_KEY_PAIR_REQUEST)).args;
  const ro = (await h.call("C_OpenSession", [1, 4])).values[0] as number;
  const refused = await h.call("C_GenerateKeyPair", [ro, golden.mechanism(1), golden.attributes(2), golden.attributes(3)]);
  assert.equal(refused.rv, CKR.SESSION_READ_ONLY);
  const made = await h.call("C_GenerateKeyPair", [s, golden.mechanism(1), golden.attributes(2), golden.attributes(3)]);
  assert.equal(made.rv, CKR.OK);
  const created = h.backend.keys.at(-1);
  assert.equal(created?.name, "golden-ec");
  assert.equal(created?.algorithm, "EC-P256");
  assert.deepEqual(created?.usage, ["sign", "verify"]);
  const [pubHandle, privHandle] = made.values as number[];
  const cls = await h.call("C_GetAttributeValue", [s, privHandle as number, [{ type: CKA.CLASS, length: 8 }]]);
  assert.equal((cls.values[0] as Attribute[])[0]?.value, CKO.PRIVATE_KEY);
  assert.notEqual(pubHandle, privHandle);
  const secret = await h.call("C_GenerateKey", [s, { type: CKM.GENERIC_SECRET_KEY_GEN, params: null }, [
    { type: CKA.VALUE_LEN, value: 32 },
    { type: CKA.LABEL, value: enc.encode("hmac key") },
  ]]);
  assert.equal(secret.rv, CKR.OK);
  assert.equal(h.backend.keys.at(-1)?.algorithm, "HMAC-SHA256");
}); // deno-fmt-ignore

Deno.test("C_DestroyObject opens an approval and answers CKR_FUNCTION_REJECTED", async () => {
  const h = new Harness();
  const s = await h.open();
  const key = await h.handleOf(s, "signer", CKO.PRIVATE_KEY);
  assert.equal((await h.call("C_DestroyObject", [s, key])).rv, CKR.FUNCTION_REJECTED);
  assert.deepEqual(h.backend.calls.at(-1), { method: "requestDestroy", keyId: "ec-1" });
});
