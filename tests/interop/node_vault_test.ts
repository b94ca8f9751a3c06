/**
 * The Vault Transit bridge with npm `node-vault` (pinned in deno.json), a second real
 * Vault client, against a real server over plain HTTP on 127.0.0.1: create, read and
 * list keys (the `LIST` method, and `GET ?list=1` with `noCustomHTTPVerbs`), encrypt,
 * decrypt and rewrap through node-vault's Transit commands, sign and verify through its
 * generic `write`, and a bad token refused with 403.
 */

import assert from "node:assert/strict";
import vault from "node-vault";
import { makeInstallation } from "../../testing/installation.ts";
import { startServerProcess } from "../../testing/server_process.ts";

const b64 = (text: string) => btoa(text);

Deno.test("node-vault's transit commands work against /v1/transit", async () => {
  const inst = await makeInstallation();
  const server = await startServerProcess(inst.flags());
  try {
    const token = await inst.token("node-app", ["Operator"]);
    const client = vault({ apiVersion: "v1", endpoint: server.url, token });

    await client.transitCreateKey({ name: "payments" });
    await client.write("transit/keys/signing", { type: "ecdsa-p256" });
    const read = await client.transitReadKey({ name: "payments" });
    assert.equal(read.data.type, "aes256-gcm96");
    assert.deepEqual((await client.transitListKeys()).data.keys, ["payments", "signing"]);
    const strict = vault({
      apiVersion: "v1",
      endpoint: server.url,
      token,
      noCustomHTTPVerbs: true,
    });
    assert.deepEqual((await strict.list("transit/keys")).data.keys, ["payments", "signing"]);

    const sealed = await client.encryptData({ name: "payments", plaintext: b64("iban") });
    assert.match(sealed.data.ciphertext, /^vault:v1:/);
    await client.write("transit/keys/payments/rotate", {});
    const opened = await client.decryptData({
      name: "payments",
      ciphertext: sealed.data.ciphertext,
    });
    assert.equal(atob(opened.data.plaintext), "iban");
    const rewrapped = await client.rewrapData({
      name: "payments",
      ciphertext: sealed.data.ciphertext,
    });
    assert.match(rewrapped.data.ciphertext, /^vault:v2:/);

    const signed = await client.write("transit/sign/signing", { input: b64("release") });
    const verified = await client.write("transit/verify/signing", {
      input: b64("release"),
      signature: signed.data.signature,
    });
    assert.equal(verified.data.valid, true);

    const stranger = vault({ apiVersion: "v1", endpoint: server.url, token: "not-a-token" });
    await assert.rejects(
      stranger.transitReadKey({ name: "payments" }),
      (err: { response?: { statusCode?: number }; message?: string }) =>
        err.response?.statusCode === 403 && err.message === "permission denied",
    );
  } finally {
    await server.stop();
    await inst.cleanup();
  }
});
