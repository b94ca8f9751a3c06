/**
 * `/v1/transit/{encrypt,decrypt,rewrap,datakey}` in process: ciphertexts are FerroHSM's
 * under Vault's prefix and name their version, old versions decrypt after rotation,
 * associated data binds, batches keep order and follow Vault's statuses, encrypt upserts
 * a key only for callers allowed to create keys, and what FerroHSM does not offer is 400.
 */

import assert from "node:assert/strict";
import { makeTestApp } from "../_app.ts";
import { b64, transit } from "./_transit.ts";

Deno.test("old versions decrypt after rotation and rewrap moves ciphertexts forward", async () => {
  const t = await makeTestApp();
  try {
    const admin = await t.inst.token("alice", ["Administrator"]);
    const v = transit(t, admin);
    const v1 = (await v("POST", "/encrypt/data", { plaintext: b64("first") })).body.data;
    assert.equal(v1.key_version, 1);
    assert.match(v1.ciphertext, /^vault:v1:[A-Za-z0-9+/]+=*$/);
    const id = (await v("GET", "/keys/data")).body.data.ferrohsm.id;
    // The same bytes are a FerroHSM ciphertext under its own prefix.
    const viaApi = await t.call(admin, "POST", `/api/v1/keys/${id}/decrypt`, {
      ciphertext: v1.ciphertext.replace(/^vault:/, "fhsm:"),
    });
    assert.equal(atob(viaApi.body.plaintext), "first");

    await v("POST", "/keys/data/rotate");
    await v("POST", "/keys/data/rotate");
    const v3 = (await v("POST", "/encrypt/data", { plaintext: b64("third") })).body.data;
    assert.equal(v3.key_version, 3);
    assert.equal(atob((await v("POST", "/decrypt/data", v1)).body.data.plaintext), "first");
    const rewrapped = (await v("POST", "/rewrap/data", { ciphertext: v1.ciphertext })).body.data;
    assert.equal(rewrapped.key_version, 3);
    assert.match(rewrapped.ciphertext, /^vault:v3:/);
    assert.equal(atob((await v("POST", "/decrypt/data", rewrapped)).body.data.plaintext), "first");

    const old = await v("POST", "/encrypt/data", { plaintext: b64("x"), key_version: 1 });
    assert.equal(old.status, 400);
    assert.match(old.body.errors[0], /latest version \(3\)/);
    assert.equal(
      (await v("POST", "/encrypt/data", { plaintext: b64("x"), key_version: 3 })).status,
      200,
    );
    assert.equal(
      (await v("POST", "/encrypt/data", { plaintext: "", key_version: "0" })).status,
      200,
    );
  } finally {
    await t.close();
  }
});

Deno.test("associated data binds; tampering and malformed input are 400 without detail", async () => {
  const t = await makeTestApp();
  try {
    const v = transit(t, await t.inst.token("alice", ["Administrator"]));
    const aad = b64("order-7");
    const sealed = (await v("POST", "/encrypt/k", { plaintext: b64("s"), associated_data: aad }))
      .body.data.ciphertext;
    const ok = await v("POST", "/decrypt/k", { ciphertext: sealed, associated_data: aad });
    assert.equal(atob(ok.body.data.plaintext), "s");
    const wrongAad = await v("POST", "/decrypt/k", {
      ciphertext: sealed,
      associated_data: b64("o"),
    });
    assert.deepEqual(wrongAad.body, { errors: ["Decryption failed"] });
    const bytes = [...atob(sealed.slice(9))].map((ch) => ch.charCodeAt(0));
    bytes[20] = (bytes[20] as number) ^ 1;
    const flipped = `vault:v1:${btoa(String.fromCharCode(...bytes))}`;
    const tampered = await v("POST", "/decrypt/k", { ciphertext: flipped, associated_data: aad });
    assert.deepEqual(tampered.body, { errors: ["Decryption failed"] });
    for (
      const body of [
        {},
        { ciphertext: "fhsm:v1:AAAA" },
        { ciphertext: sealed, context: b64("c") },
        { ciphertext: sealed, nonce: b64("123456789012") },
        { ciphertext: 5 },
      ]
    ) {
      assert.equal((await v("POST", "/decrypt/k", body)).status, 400, JSON.stringify(body));
    }
    assert.equal((await v("POST", "/encrypt/k", {})).status, 400);
    assert.equal((await v("POST", "/encrypt/k", { plaintext: "%%%" })).status, 400);
    assert.equal(
      (await v("POST", "/encrypt/k", { plaintext: "", padding_scheme: "pkcs1v15" })).status,
      400,
    );
  } finally {
    await t.close();
  }
});

Deno.test("batches keep order, echo references and follow Vault's statuses", async () => {
  const t = await makeTestApp();
  try {
    const v = transit(t, await t.inst.token("alice", ["Administrator"]));
    const batch_input = [
      { plaintext: b64("a"), reference: "r1" },
      { plaintext: "!!", reference: "r2" },
      { plaintext: b64("c") },
    ];
    const mixed = await v("POST", "/encrypt/b", { batch_input });
    assert.equal(mixed.status, 400);
    const results = mixed.body.data.batch_results;
    assert.equal(results[0].reference, "r1");
    assert.match(results[0].ciphertext, /^vault:v1:/);
    assert.match(results[1].error, /batch_input\[1\]\.plaintext/);
    assert.equal(results[2].reference, "");
    const partial = await v("POST", "/encrypt/b", {
      batch_input,
      partial_failure_response_code: 200,
    });
    assert.equal(partial.status, 200);
    const back = await v("POST", "/decrypt/b", {
      batch_input: [results[2], results[0]].map((r) => ({ ciphertext: r.ciphertext })),
    });
    assert.equal(back.status, 200);
    assert.deepEqual(
      back.body.data.batch_results.map((r: { plaintext: string }) => atob(r.plaintext)),
      [
        "c",
        "a",
      ],
    );
    assert.equal((await v("POST", "/encrypt/b", { batch_input: [] })).status, 400);
    const big = Array.from({ length: 1001 }, () => ({ plaintext: "" }));
    assert.equal((await v("POST", "/encrypt/b", { batch_input: big })).status, 400);
  } finally {
    await t.close();
  }
});

Deno.test("data keys are fresh, of the asked size, and decrypt to the plaintext given", async () => {
  const t = await makeTestApp();
  try {
    const v = transit(t, await t.inst.token("alice", ["Administrator"]));
    await v("POST", "/keys/dk");
    const a = (await v("POST", "/datakey/plaintext/dk", { bits: 512 })).body.data;
    assert.equal(atob(a.plaintext).length, 64);
    const b = (await v("POST", "/datakey/plaintext/dk", {})).body.data;
    assert.equal(atob(b.plaintext).length, 32);
    assert.notEqual(a.plaintext, b.plaintext);
    assert.equal((await v("POST", "/decrypt/dk", a)).body.data.plaintext, a.plaintext);
    const wrapped = await v("POST", "/datakey/wrapped/dk", { bits: "128" });
    assert.deepEqual(Object.keys(wrapped.body.data).sort(), ["ciphertext", "key_version"]);
    assert.equal(
      atob((await v("POST", "/decrypt/dk", wrapped.body.data)).body.data.plaintext).length,
      16,
    );
    assert.equal((await v("POST", "/datakey/plaintext/dk", { bits: 192 })).status, 400);
    assert.equal((await v("POST", "/datakey/other/dk", {})).status, 400);
    assert.equal((await v("POST", "/datakey/wrapped/none", {})).status, 400);
  } finally {
    await t.close();
  }
});

Deno.test("RSA keys encrypt with OAEP under vault:vN and refuse associated data", async () => {
  const t = await makeTestApp();
  try {
    const v = transit(t, await t.inst.token("alice", ["Administrator"]));
    await v("POST", "/keys/rsa", { type: "rsa-3072" });
    const sealed = (await v("POST", "/encrypt/rsa", { plaintext: b64("key material") })).body.data;
    assert.match(sealed.ciphertext, /^vault:v1:/);
    assert.equal(atob(sealed.ciphertext.slice(9)).length, 384);
    await v("POST", "/keys/rsa/rotate");
    assert.equal(
      atob((await v("POST", "/decrypt/rsa", sealed)).body.data.plaintext),
      "key material",
    );
    const aad = await v("POST", "/encrypt/rsa", { plaintext: b64("x"), associated_data: b64("a") });
    assert.equal(aad.status, 400);
    await v("POST", "/keys/ec", { type: "ecdsa-p256" });
    assert.equal((await v("POST", "/encrypt/ec", { plaintext: b64("x") })).status, 400);
  } finally {
    await t.close();
  }
});

Deno.test("encrypt creates a missing key only for a caller allowed to create keys", async () => {
  const t = await makeTestApp();
  try {
    const service = transit(t, await t.inst.token("svc", ["Service"]));
    const refused = await service("POST", "/encrypt/fresh", { plaintext: b64("x") });
    assert.equal(refused.status, 403);
    assert.match(refused.body.errors[0], /^permission denied: /);
    const operator = transit(t, await t.inst.token("op", ["Operator"]));
    const upserted = await operator("POST", "/encrypt/fresh", { plaintext: b64("x") });
    assert.equal(upserted.status, 200);
    assert.equal((await operator("GET", "/keys/fresh")).body.data.type, "aes256-gcm96");
    const sealed = (await service("POST", "/encrypt/fresh", { plaintext: b64("y") })).body.data;
    assert.equal(atob((await service("POST", "/decrypt/fresh", sealed)).body.data.plaintext), "y");
    assert.equal(
      (await operator("POST", "/encrypt/other", { plaintext: b64("x"), type: "rsa-2048" })).status,
      400,
    );
  } finally {
    await t.close();
  }
});
