import assert from "node:assert/strict";
import { CKM, CKO, CKR } from "../../src/pkcs11/constants.ts";
import { bytes, Harness } from "./_fake_backend.ts";

const ECDSA = { type: CKM.ECDSA, params: null };

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
  const mac = await h.handleOf(s, "mac", CKO.SECRET_KEY);
  await h.call("C_SignInit", [s, { type: CKM.SHA256_HMAC, params: null }, mac]);
  assert.equal((await h.call("C_SignUpdate", [s, bytes(new Uint8Array(10))])).rv, CKR.OK);
  assert.equal(
    (await h.call("C_SignUpdate", [s, bytes(new Uint8Array(10))])).rv,
    CKR.DATA_LEN_RANGE,
  );
  assert.equal((await h.call("C_SignFinal", [s, 32])).rv, CKR.OPERATION_NOT_INITIALIZED);
});
