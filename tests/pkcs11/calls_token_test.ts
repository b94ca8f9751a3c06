import assert from "node:assert/strict";
import { CKF, CKM, CKR, CKS } from "../../src/pkcs11/constants.ts";
import { bytes, Harness } from "./_fake_backend.ts";

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

Deno.test("C_GenerateRandom returns the bytes asked for, within a limit", async () => {
  const h = new Harness();
  const s = await h.open(null);
  const out = await h.call("C_GenerateRandom", [s, 48]);
  assert.equal((out.values[0] as Uint8Array).length, 48);
  assert.equal((await h.call("C_GenerateRandom", [s, 1024 * 1024])).rv, CKR.DATA_LEN_RANGE);
});
