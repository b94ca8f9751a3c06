import assert from "node:assert/strict";
import { cryptoBody, cryptoResult, type CryptoValues } from "../../src/tui/crypto_request.ts";

const BASE: CryptoValues = {
  keyId: "k1",
  operation: "encrypt",
  inputMode: "text",
  input: "hi",
  aad: "ctx",
  signature: "",
  digest: false,
  hash: "default",
  padding: "default",
  format: "default",
};
const noFile = () => Promise.reject(new Deno.errors.NotFound("no"));

Deno.test("form values become the API's request bodies", async () => {
  assert.deepEqual(await cryptoBody(BASE, noFile), { plaintext: "aGk=", aad: "Y3R4" });
  assert.deepEqual(
    await cryptoBody({ ...BASE, operation: "decrypt", input: " fhsm:v1:QQ== \n", aad: "" }, noFile),
    { ciphertext: "fhsm:v1:QQ==" },
  );
  assert.deepEqual(
    await cryptoBody({
      ...BASE,
      operation: "sign",
      inputMode: "base64",
      input: "AAE=",
      hash: "SHA-384",
    }, noFile),
    { message: "AAE=", hash: "SHA-384" },
  );
  const fromFile = await cryptoBody(
    {
      ...BASE,
      operation: "verify",
      inputMode: "file",
      input: "m.bin",
      signature: "@s.bin",
      digest: true,
    },
    (p) => Promise.resolve(new TextEncoder().encode(p)),
  );
  assert.deepEqual(fromFile, { digest: btoa("m.bin"), signature: btoa("s.bin") });
});

Deno.test("unreadable inputs are refused with a message", async () => {
  await assert.rejects(cryptoBody({ ...BASE, keyId: " " }, noFile), /enter a key id/);
  await assert.rejects(cryptoBody({ ...BASE, inputMode: "base64", input: "*" }, noFile), /base64/);
  await assert.rejects(
    cryptoBody({ ...BASE, operation: "verify", signature: "" }, noFile),
    /signature/,
  );
});

Deno.test("results show printable plaintext as text, anything else as base64", () => {
  assert.equal(cryptoResult("decrypt", { plaintext: btoa("hello"), version: 1 }).text, "hello");
  const binary = cryptoResult("decrypt", { plaintext: btoa("\x1b[2J"), version: 1 });
  assert.equal(binary.label, "plaintext (base64)");
  assert.equal(binary.text, btoa("\x1b[2J"));
  assert.equal(cryptoResult("verify", { valid: false, version: 1 }).text, "INVALID");
  assert.equal(cryptoResult("sign", { signature: "AAE=", version: 1 }).bytes?.length, 2);
});
