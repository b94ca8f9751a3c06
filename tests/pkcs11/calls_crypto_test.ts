import assert from "node:assert/strict";
import { CKM, CKO, CKR } from "../../src/pkcs11/constants.ts";
import { bytes, Harness, hex } from "./_fake_backend.ts";

const enc = new TextEncoder();
const ECDSA = { type: CKM.ECDSA, params: null };

Deno.test("C_Sign answers a size query and a short buffer without signing, then signs once", async () => {
  const h = new Harness();
  const s = await h.open();
  const key = await h.handleOf(s, "signer", CKO.PRIVATE_KEY);
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
  const mac = await h.handleOf(s, "mac", CKO.SECRET_KEY);
  await h.call("C_SignInit", [s, { type: CKM.SHA256_HMAC, params: null }, mac]);
  await h.call("C_SignUpdate", [s, bytes("hello ")]);
  await h.call("C_SignUpdate", [s, bytes("world")]);
  assert.equal((await h.call("C_Sign", [s, bytes("x"), 32])).rv, CKR.OPERATION_ACTIVE);
  const tag = await h.call("C_SignFinal", [s, 32]);
  assert.equal((tag.values[0] as Uint8Array).length, 32);
  assert.deepEqual(h.backend.calls.at(-1)?.input, { kind: "mac", data: enc.encode("hello world") });
  const ec = await h.handleOf(s, "signer", CKO.PRIVATE_KEY);
  await h.call("C_SignInit", [s, ECDSA, ec]);
  assert.equal((await h.call("C_SignUpdate", [s, bytes("x")])).rv, CKR.MECHANISM_INVALID);
  assert.equal((await h.call("C_Sign", [s, bytes("x"), 64])).rv, CKR.OPERATION_NOT_INITIALIZED);
});

Deno.test("C_Verify answers OK, CKR_SIGNATURE_INVALID or CKR_SIGNATURE_LEN_RANGE", async () => {
  const h = new Harness();
  const s = await h.open();
  const pub = await h.handleOf(s, "signer", CKO.PUBLIC_KEY);
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
  const priv = await h.handleOf(s, "rsa", CKO.PRIVATE_KEY);
  const pub = await h.handleOf(s, "rsa", CKO.PUBLIC_KEY);
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
  const pub = await h.handleOf(s, "signer", CKO.PUBLIC_KEY);
  assert.equal((await h.call("C_SignInit", [s, ECDSA, pub])).rv, CKR.KEY_TYPE_INCONSISTENT);
  const verifyOnly = await h.handleOf(s, "verify-only", CKO.PRIVATE_KEY);
  assert.equal(
    (await h.call("C_SignInit", [s, ECDSA, verifyOnly])).rv,
    CKR.KEY_FUNCTION_NOT_PERMITTED,
  );
  const rsa = await h.handleOf(s, "rsa", CKO.PRIVATE_KEY);
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
  const rsa = await h.handleOf(s, "rsa", CKO.PRIVATE_KEY);
  const oaep = { type: CKM.RSA_PKCS_OAEP, params: { kind: "oaep", hashAlg: CKM.SHA256, mgf: 2, source: 0, sourceData: null } } as const;
  await h.call("C_DecryptInit", [s, oaep, rsa]);
  const ct = bytes(new Uint8Array(256));
  assert.deepEqual((await h.call("C_Decrypt", [s, ct, 0])).values, [{ lengthOnly: 256 }]);
  assert.deepEqual((await h.call("C_Decrypt", [s, ct, 4])).values, [{ lengthOnly: 9 }]);
  assert.deepEqual((await h.call("C_Decrypt", [s, ct, 9])).values, [enc.encode("plaintext")]);
  assert.equal(h.backend.calls.filter((c) => c.method === "decrypt").length, 1);
  await h.call("C_DecryptInit", [s, oaep, rsa]);
  assert.equal((await h.call("C_Decrypt", [s, bytes(new Uint8Array(255)), 512])).rv, CKR.ENCRYPTED_DATA_LEN_RANGE);
  const pub = await h.handleOf(s, "rsa", CKO.PUBLIC_KEY);
  await h.call("C_EncryptInit", [s, oaep, pub]);
  assert.equal((await h.call("C_Encrypt", [s, bytes(new Uint8Array(191)), 512])).rv, CKR.DATA_LEN_RANGE);
  await h.call("C_EncryptInit", [s, oaep, pub]);
  assert.equal(((await h.call("C_Encrypt", [s, bytes("hi"), 512])).values[0] as Uint8Array).length, 256);
});
