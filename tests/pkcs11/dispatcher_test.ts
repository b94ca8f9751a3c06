import assert from "node:assert/strict";
import { CKA, CKF, CKM, CKO, CKR, CKS } from "../../src/pkcs11/constants.ts";
import type { Attribute } from "../../src/pkcs11/rpc_codec.ts";
import { bytes, Harness, hex } from "./_fake_backend.ts";
import { GENERATE_KEY_PAIR_REQUEST } from "./_golden.ts";
import { decodeRequest } from "../../src/pkcs11/rpc_message.ts";

const enc = new TextEncoder();
const ECDSA = { type: CKM.ECDSA, params: null };

async function handleOf(h: Harness, session: number, name: string, cls: number): Promise<number> {
  const [handle] = await h.find(session, [
    { type: CKA.CLASS, value: cls },
    { type: CKA.LABEL, value: enc.encode(name) },
  ]);
  assert.ok(handle !== undefined, `no ${name} object of class ${cls}`);
  return handle;
}

Deno.test("calls before C_Initialize, unsupported calls and a wrong handshake are refused", async () => {
  const h = new Harness();
  assert.equal((await h.call("C_GetSlotInfo", [1])).rv, CKR.CRYPTOKI_NOT_INITIALIZED);
  const bad = await h.call("C_Initialize", [bytes("PRIVATE-OTHER"), 0, bytes("\0")]);
  assert.equal(bad.rv, CKR.GENERAL_ERROR);
  await h.open(null);
  assert.equal((await h.call("C_DigestInit", [1, ECDSA])).rv, CKR.FUNCTION_NOT_SUPPORTED);
  assert.equal((await h.call("C_SeedRandom", [1, bytes("x")])).rv, CKR.RANDOM_SEED_NOT_SUPPORTED);
  assert.equal((await h.call("C_GetSlotInfo", [2])).rv, CKR.SLOT_ID_INVALID);
});

Deno.test("the one token is FerroHSM with the installation id as serial", async () => {
  const h = new Harness();
  await h.open(null);
  const info = await h.call("C_GetTokenInfo", [1]);
  assert.equal(info.rv, CKR.OK);
  const text = (i: number) => new TextDecoder().decode(info.values[i] as Uint8Array);
  assert.equal(text(0), "FerroHSM".padEnd(32));
  assert.equal(text(3), "0123456789abcdef");
  const flags = info.values[4] as number;
  for (const f of [CKF.LOGIN_REQUIRED, CKF.TOKEN_INITIALIZED, CKF.USER_PIN_INITIALIZED]) {
    assert.equal(flags & f, f);
  }
  const list = await h.call("C_GetMechanismList", [1, 64]);
  assert.ok((list.values[0] as number[]).includes(CKM.ECDSA));
  const mech = await h.call("C_GetMechanismInfo", [1, CKM.RSA_PKCS]);
  assert.deepEqual(mech.values, [2048, 4096, CKF.VERIFY]);
  assert.equal((await h.call("C_GetMechanismInfo", [1, 0x1057])).rv, CKR.MECHANISM_INVALID);
});

Deno.test("login takes only the user PIN, once, and logout needs a login", async () => {
  const h = new Harness();
  const s = await h.open(null);
  assert.equal((await h.call("C_Logout", [s])).rv, CKR.USER_NOT_LOGGED_IN);
  assert.equal((await h.call("C_Login", [s, 1, bytes("bad")])).rv, CKR.PIN_INCORRECT);
  assert.equal((await h.call("C_Login", [s, 0, bytes("good")])).rv, CKR.USER_TYPE_INVALID);
  assert.equal((await h.call("C_GetSessionInfo", [s])).values[1], CKS.RW_PUBLIC_SESSION);
  assert.equal((await h.call("C_Login", [s, 1, bytes("good")])).rv, CKR.OK);
  assert.equal((await h.call("C_Login", [s, 1, bytes("good")])).rv, CKR.USER_ALREADY_LOGGED_IN);
  assert.equal((await h.call("C_GetSessionInfo", [s])).values[1], CKS.RW_USER_FUNCTIONS);
  assert.equal((await h.call("C_Logout", [s])).rv, CKR.OK);
});

Deno.test("closing the last session logs the application out", async () => {
  const h = new Harness();
  const s = await h.open();
  assert.equal((await h.call("C_CloseSession", [s])).rv, CKR.OK);
  const s2 = (await h.call("C_OpenSession", [1, 4])).values[0] as number;
  assert.equal((await h.call("C_GetSessionInfo", [s2])).values[1], CKS.RO_PUBLIC_SESSION);
  assert.equal((await h.call("C_GetSessionInfo", [s])).rv, CKR.SESSION_HANDLE_INVALID);
});

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
  const priv = await handleOf(h, s, "signer", CKO.PRIVATE_KEY);
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
  const pub = await handleOf(h, s, "signer", CKO.PUBLIC_KEY);
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

Deno.test("C_Sign answers a size query and a short buffer without signing, then signs once", async () => {
  const h = new Harness();
  const s = await h.open();
  const key = await handleOf(h, s, "signer", CKO.PRIVATE_KEY);
  assert.equal((await h.call("C_SignInit", [s, ECDSA, key])).rv, CKR.OK);
  assert.equal((await h.call("C_SignInit", [s, ECDSA, key])).rv, CKR.OPERATION_ACTIVE);
  const digest = new Uint8Array(20).fill(9);
  assert.deepEqual((await h.call("C_Sign", [s, bytes(digest), 0])).values, [{ lengthOnly: 64 }]);
  assert.deepEqual((await h.call("C_Sign", [s, bytes(digest), 10])).values, [{ lengthOnly: 64 }]);
  const signed = await h.call("C_Sign", [s, bytes(digest), 64]);
  assert.deepEqual(signed.values, [new Uint8Array(64).fill(7)]);
  const calls = h.backend.calls.filter((c) => c.method === "sign");
  assert.equal(calls.length, 1);
  // CKM_ECDSA: a 20-byte digest is left-padded to the 32-byte order size.
  assert.deepEqual(calls[0]?.input, {
    kind: "signature",
    data: new Uint8Array([...new Uint8Array(12), ...digest]),
    prehashed: true,
    hash: "SHA-256",
    format: "raw",
  });
  assert.equal((await h.call("C_Sign", [s, bytes(digest), 64])).rv, CKR.OPERATION_NOT_INITIALIZED);
});

Deno.test("multi-part HMAC signs the concatenated parts; raw ECDSA is single-part", async () => {
  const h = new Harness();
  const s = await h.open();
  const mac = await handleOf(h, s, "mac", CKO.SECRET_KEY);
  await h.call("C_SignInit", [s, { type: CKM.SHA256_HMAC, params: null }, mac]);
  await h.call("C_SignUpdate", [s, bytes("hello ")]);
  await h.call("C_SignUpdate", [s, bytes("world")]);
  assert.equal((await h.call("C_Sign", [s, bytes("x"), 32])).rv, CKR.OPERATION_ACTIVE);
  const tag = await h.call("C_SignFinal", [s, 32]);
  assert.equal((tag.values[0] as Uint8Array).length, 32);
  assert.deepEqual(h.backend.calls.at(-1)?.input, { kind: "mac", data: enc.encode("hello world") });
  const ec = await handleOf(h, s, "signer", CKO.PRIVATE_KEY);
  await h.call("C_SignInit", [s, ECDSA, ec]);
  assert.equal((await h.call("C_SignUpdate", [s, bytes("x")])).rv, CKR.MECHANISM_INVALID);
  assert.equal((await h.call("C_Sign", [s, bytes("x"), 64])).rv, CKR.OPERATION_NOT_INITIALIZED);
});

Deno.test("C_Verify answers OK, CKR_SIGNATURE_INVALID or CKR_SIGNATURE_LEN_RANGE", async () => {
  const h = new Harness();
  const s = await h.open();
  const pub = await handleOf(h, s, "signer", CKO.PUBLIC_KEY);
  const cases: [Uint8Array, number][] = [
    [new Uint8Array(64).fill(7), CKR.OK],
    [new Uint8Array(64).fill(8), CKR.SIGNATURE_INVALID],
    [new Uint8Array(63).fill(7), CKR.SIGNATURE_LEN_RANGE],
  ];
  for (const [sig, rv] of cases) {
    assert.equal((await h.call("C_VerifyInit", [s, ECDSA, pub])).rv, CKR.OK);
    assert.equal((await h.call("C_Verify", [s, bytes(new Uint8Array(32)), bytes(sig)])).rv, rv);
  }
});

Deno.test("raw RSA PKCS#1 v1.5 only verifies, reading the hash from the DigestInfo", async () => {
  const h = new Harness();
  const s = await h.open();
  const priv = await handleOf(h, s, "rsa", CKO.PRIVATE_KEY);
  const pub = await handleOf(h, s, "rsa", CKO.PUBLIC_KEY);
  const raw = { type: CKM.RSA_PKCS, params: null };
  assert.equal((await h.call("C_SignInit", [s, raw, priv])).rv, CKR.MECHANISM_INVALID);
  await h.call("C_VerifyInit", [s, raw, pub]);
  const info = hex("3031300d060960864801650304020105000420" + "11".repeat(32));
  await h.call("C_Verify", [s, bytes(info), bytes(new Uint8Array(256).fill(7))]);
  assert.deepEqual(h.backend.calls.at(-1)?.input, {
    kind: "signature",
    data: new Uint8Array(32).fill(0x11),
    prehashed: true,
    hash: "SHA-256",
    padding: "pkcs1",
  });
  await h.call("C_VerifyInit", [s, raw, pub]);
  const junk = await h.call("C_Verify", [s, bytes(new Uint8Array(51)), bytes(new Uint8Array(256))]);
  assert.equal(junk.rv, CKR.DATA_INVALID);
});

Deno.test("init checks key class, usage and mechanism parameters", async () => {
  const h = new Harness();
  h.backend.keys.push({
    id: "v-1",
    name: "verify-only",
    algorithm: "EC-P256",
    usage: ["verify"],
    state: "active",
    currentVersion: 1,
  });
  const s = await h.open();
  const pub = await handleOf(h, s, "signer", CKO.PUBLIC_KEY);
  assert.equal((await h.call("C_SignInit", [s, ECDSA, pub])).rv, CKR.KEY_TYPE_INCONSISTENT);
  const verifyOnly = await handleOf(h, s, "verify-only", CKO.PRIVATE_KEY);
  assert.equal(
    (await h.call("C_SignInit", [s, ECDSA, verifyOnly])).rv,
    CKR.KEY_FUNCTION_NOT_PERMITTED,
  );
  const rsa = await handleOf(h, s, "rsa", CKO.PRIVATE_KEY);
  assert.equal((await h.call("C_SignInit", [s, ECDSA, rsa])).rv, CKR.KEY_TYPE_INCONSISTENT);
  const sha1 = {
    type: CKM.RSA_PKCS_OAEP,
    params: { kind: "oaep", hashAlg: 0x220, mgf: 1, source: 0, sourceData: null },
  } as const;
  assert.equal((await h.call("C_DecryptInit", [s, sha1, rsa])).rv, CKR.MECHANISM_PARAM_INVALID);
  assert.equal((await h.call("C_SignInit", [s, ECDSA, 4242])).rv, CKR.KEY_HANDLE_INVALID);
}); // deno-fmt-ignore

Deno.test("RSA-OAEP decryption keeps a result too large for the buffer for the retry", async () => {
  const h = new Harness();
  const s = await h.open();
  const rsa = await handleOf(h, s, "rsa", CKO.PRIVATE_KEY);
  const oaep = { type: CKM.RSA_PKCS_OAEP, params: { kind: "oaep", hashAlg: CKM.SHA256, mgf: 2, source: 0, sourceData: null } } as const;
  await h.call("C_DecryptInit", [s, oaep, rsa]);
  const ct = bytes(new Uint8Array(256));
  assert.deepEqual((await h.call("C_Decrypt", [s, ct, 0])).values, [{ lengthOnly: 256 }]);
  assert.deepEqual((await h.call("C_Decrypt", [s, ct, 4])).values, [{ lengthOnly: 9 }]);
  assert.deepEqual((await h.call("C_Decrypt", [s, ct, 9])).values, [enc.encode("plaintext")]);
  assert.equal(h.backend.calls.filter((c) => c.method === "decrypt").length, 1);
  await h.call("C_DecryptInit", [s, oaep, rsa]);
  assert.equal((await h.call("C_Decrypt", [s, bytes(new Uint8Array(255)), 512])).rv, CKR.ENCRYPTED_DATA_LEN_RANGE);
  const pub = await handleOf(h, s, "rsa", CKO.PUBLIC_KEY);
  await h.call("C_EncryptInit", [s, oaep, pub]);
  assert.equal((await h.call("C_Encrypt", [s, bytes(new Uint8Array(191)), 512])).rv, CKR.DATA_LEN_RANGE);
  await h.call("C_EncryptInit", [s, oaep, pub]);
  assert.equal(((await h.call("C_Encrypt", [s, bytes("hi"), 512])).values[0] as Uint8Array).length, 256);
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
  const key = await handleOf(h, s, "signer", CKO.PRIVATE_KEY);
  assert.equal((await h.call("C_DestroyObject", [s, key])).rv, CKR.FUNCTION_REJECTED);
  assert.deepEqual(h.backend.calls.at(-1), { method: "requestDestroy", keyId: "ec-1" });
});

Deno.test("an expired login logs out, unless its credential is renewable", async () => {
  for (const renewable of [false, true]) {
    const h = new Harness();
    h.backend.renewable = renewable;
    const s = await h.open();
    h.backend.expire();
    await h.call("C_FindObjectsInit", [s, []]).then((r) =>
      assert.equal(r.rv, CKR.USER_NOT_LOGGED_IN)
    );
    const again = await h.call("C_Login", [s, 1, bytes("good")]);
    assert.equal(again.rv, renewable ? CKR.USER_ALREADY_LOGGED_IN : CKR.OK);
  }
});

Deno.test("sessions and buffered multi-part data are bounded per connection", async () => {
  const h = new Harness(undefined, { maxSessions: 2, maxObjects: 100, maxBufferedBytes: 16 });
  const s = await h.open();
  await h.call("C_OpenSession", [1, 4]);
  assert.equal((await h.call("C_OpenSession", [1, 4])).rv, CKR.SESSION_COUNT);
  assert.equal((await h.call("C_OpenSession", [1, 0])).rv, CKR.SESSION_PARALLEL_NOT_SUPPORTED);
  const mac = await handleOf(h, s, "mac", CKO.SECRET_KEY);
  await h.call("C_SignInit", [s, { type: CKM.SHA256_HMAC, params: null }, mac]);
  assert.equal((await h.call("C_SignUpdate", [s, bytes(new Uint8Array(10))])).rv, CKR.OK);
  assert.equal(
    (await h.call("C_SignUpdate", [s, bytes(new Uint8Array(10))])).rv,
    CKR.DATA_LEN_RANGE,
  );
  assert.equal((await h.call("C_SignFinal", [s, 32])).rv, CKR.OPERATION_NOT_INITIALIZED);
});

Deno.test("C_GenerateRandom returns the bytes asked for, within a limit", async () => {
  const h = new Harness();
  const s = await h.open(null);
  const out = await h.call("C_GenerateRandom", [s, 48]);
  assert.equal((out.values[0] as Uint8Array).length, 48);
  assert.equal((await h.call("C_GenerateRandom", [s, 1024 * 1024])).rv, CKR.DATA_LEN_RANGE);
});
