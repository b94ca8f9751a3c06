/**
 * Batch encrypt, decrypt and sign over REST: results in request order with per-item
 * errors (malformed items, tampered or retired ciphertexts, options the key does not
 * take), batch-level refusals (size, state, role, missing key), usage counters per
 * version, and the audit entry of each batch, which a verifier recomputes from the
 * request and the answer (`batch_audit.ts`) and finds equal to its `payload_hash`.
 */

import assert from "node:assert/strict";
import { payloadHash } from "../../src/audit/chain.ts";
import { fromBase64 } from "../../src/core/encoding.ts";
import {
  artifactDigest,
  batchAuditPayload,
  type BatchItemOutcome,
  type BatchOperation,
} from "../../src/keys/batch_audit.ts";
import { makeTestApp, type TestApp } from "./_app.ts";
import { auditOf } from "./_key_ops.ts";

async function withApp(fn: (t: TestApp, admin: string) => Promise<void>): Promise<void> {
  const t = await makeTestApp(["--key-store", "memory"]);
  try {
    await fn(t, await t.inst.token("alice", ["Administrator"]));
  } finally {
    await t.close();
  }
}

async function create(t: TestApp, token: string, algorithm: string): Promise<string> {
  const r = await t.call(token, "POST", "/api/v1/keys", { name: algorithm, algorithm });
  assert.equal(r.status, 201);
  return r.body.id;
}

// deno-lint-ignore no-explicit-any -- answers are arbitrary JSON
type Item = Record<string, any>;

/** What an auditor derives from a batch request and its answer (see batch_audit.ts). */
function expectedPayloadHash(
  operation: BatchOperation,
  request: readonly Item[],
  answer: readonly Item[],
): string {
  const outcomes: BatchItemOutcome[] = answer.map((a, i) => {
    if (a.error !== undefined) {
      const sent = request[i]?.ciphertext;
      return {
        result: a.error.code,
        ref: operation === "decrypt" && typeof sent === "string" ? artifactDigest(sent) : undefined,
      };
    }
    const ref = operation === "encrypt"
      ? artifactDigest(a.ciphertext)
      : operation === "decrypt"
      ? artifactDigest(request[i]?.ciphertext)
      : artifactDigest(fromBase64(a.signature) ?? new Uint8Array(0));
    return { result: "ok", version: a.version, ref };
  });
  return payloadHash(batchAuditPayload(operation, outcomes));
}

Deno.test("encrypt and decrypt batches keep order, fail per item and audit verifiably", async () => {
  await withApp(async (t, admin) => {
    const aes = await create(t, admin, "AES-256-GCM");
    const texts = Array.from({ length: 6 }, (_, i) => btoa(`item ${i}`));
    const encRequest: Item[] = [
      { plaintext: texts[0] },
      { plaintext: "not base64!" },
      { plaintext: texts[2], aad: btoa("aad") },
      { plaintext: texts[3], extra: true },
      { plaintext: texts[4] },
    ];
    const enc = await t.call(admin, "POST", `/api/v1/keys/${aes}/encrypt/batch`, {
      items: encRequest,
    });
    assert.equal(enc.status, 200, JSON.stringify(enc.body));
    const items = enc.body.items as Item[];
    assert.equal(items.length, 5);
    assert.deepEqual(items.map((x) => x.error?.code ?? "ok"), [
      "ok",
      "invalid_request",
      "ok",
      "invalid_request",
      "ok",
    ]);
    assert.match(items[1]?.error.message, /^Invalid plaintext/);
    for (const i of [0, 2, 4]) assert.match(items[i]?.ciphertext, /^fhsm:v1:/);

    await t.call(admin, "POST", `/api/v1/keys/${aes}/rotate`);
    const v2 = await t.call(admin, "POST", `/api/v1/keys/${aes}/encrypt`, { plaintext: texts[5] });
    const tampered = (items[4]?.ciphertext as string).slice(0, -6) + "AAAA==";
    const decRequest: Item[] = [
      { ciphertext: items[0]?.ciphertext },
      { ciphertext: v2.body.ciphertext },
      { ciphertext: items[2]?.ciphertext }, // AAD missing
      { ciphertext: items[2]?.ciphertext, aad: btoa("aad") },
      { ciphertext: tampered },
      { ciphertext: "fhsm:v7:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
      { ciphertext: 42 },
    ];
    const dec = await t.call(admin, "POST", `/api/v1/keys/${aes}/decrypt/batch`, {
      items: decRequest,
    });
    assert.equal(dec.status, 200);
    const out = dec.body.items as Item[];
    assert.deepEqual(out.map((x) => x.error?.code ?? x.version), [
      1,
      2,
      "invalid_request",
      1,
      "invalid_request",
      "not_found",
      "invalid_request",
    ]);
    assert.deepEqual([out[0]?.plaintext, out[1]?.plaintext, out[3]?.plaintext], [
      texts[0],
      texts[5],
      texts[2],
    ]);

    const encEntry = (await auditOf(t, "key.encrypt.batch"))[0];
    const decEntry = (await auditOf(t, "key.decrypt.batch"))[0];
    assert.equal(encEntry?.result, "ok");
    assert.equal(encEntry?.key_id, aes);
    assert.equal(encEntry?.payload_hash, expectedPayloadHash("encrypt", encRequest, items));
    assert.equal(decEntry?.payload_hash, expectedPayloadHash("decrypt", decRequest, out));
    // An answer changed after the fact no longer matches the entry.
    const forged = out.map((x, i) => i === 4 ? { plaintext: texts[4], version: 1 } : x);
    assert.notEqual(decEntry?.payload_hash, expectedPayloadHash("decrypt", decRequest, forged));

    const versions = await t.call(admin, "GET", `/api/v1/keys/${aes}/versions`);
    assert.deepEqual(
      versions.body.items.map((v: Item) => [v.version, v.operations]),
      [[1, 5], [2, 2]],
      "3 encrypts + 2 decrypts on v1; 1 encrypt + 1 decrypt on v2",
    );
  });
});

Deno.test("sign batches sign each item with its options and refuse what the key lacks", async () => {
  await withApp(async (t, admin) => {
    const ec = await create(t, admin, "EC-P256");
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(3)));
    const request: Item[] = [
      { message: btoa("a") },
      { message: btoa("b"), signature_format: "raw" },
      { digest: btoa(String.fromCharCode(...digest)) },
      { message: btoa("c"), padding: "pss" },
      { message: btoa("d"), digest: btoa("e") },
      { message: btoa("f"), context: btoa("ctx") },
    ];
    const r = await t.call(admin, "POST", `/api/v1/keys/${ec}/sign/batch`, { items: request });
    assert.equal(r.status, 200);
    const items = r.body.items as Item[];
    assert.deepEqual(items.map((x) => x.error?.code ?? "ok"), [
      "ok",
      "ok",
      "ok",
      "invalid_request",
      "invalid_request",
      "invalid_request",
    ]);
    assert.equal(fromBase64(items[1]?.signature)?.length, 64, "raw r‖s");
    for (const [i, body] of [[0, { message: btoa("a") }], [2, request[2]]] as const) {
      const v = await t.call(admin, "POST", `/api/v1/keys/${ec}/verify`, {
        ...body,
        signature: items[i]?.signature,
      });
      assert.equal(v.body.valid, true);
    }
    const entry = (await auditOf(t, "key.sign.batch"))[0];
    assert.equal(entry?.payload_hash, expectedPayloadHash("sign", request, items));
  });
});

Deno.test("batch-level refusals fail the whole call and are audited", async () => {
  await withApp(async (t, admin) => {
    const aes = await create(t, admin, "AES-256-GCM");
    const one = { items: [{ plaintext: btoa("x") }] };
    const cases: [string, string, unknown, number][] = [
      [admin, `/api/v1/keys/${aes}/encrypt/batch`, { items: [] }, 400],
      [admin, `/api/v1/keys/${aes}/encrypt/batch`, {
        items: Array.from({ length: 1001 }, () => ({ plaintext: "" })),
      }, 400],
      [admin, `/api/v1/keys/${aes}/encrypt/batch`, { items: ["x"] }, 400],
      [admin, `/api/v1/keys/${aes}/sign/batch`, { items: [{ message: btoa("x") }] }, 400],
      [admin, "/api/v1/keys/missing/encrypt/batch", one, 404],
      [await t.inst.token("audrey", ["Auditor"]), `/api/v1/keys/${aes}/encrypt/batch`, one, 403],
    ];
    for (const [token, path, body, status] of cases) {
      const r = await t.call(token, "POST", path, body);
      assert.equal(r.status, status, `${path}: ${JSON.stringify(r.body).slice(0, 200)}`);
    }
    const thousand = await t.call(admin, "POST", `/api/v1/keys/${aes}/encrypt/batch`, {
      items: Array.from({ length: 1000 }, (_, i) => ({ plaintext: btoa(String(i)) })),
    });
    assert.equal(thousand.status, 200);
    assert.equal(thousand.body.items.length, 1000);
    await t.call(admin, "POST", `/api/v1/keys/${aes}/revoke`);
    const revoked = await t.call(admin, "POST", `/api/v1/keys/${aes}/encrypt/batch`, one);
    assert.equal(revoked.status, 409);
    const service = await t.inst.token("svc", ["Service"]);
    const decrypt = await t.call(service, "POST", `/api/v1/keys/${aes}/decrypt/batch`, {
      items: [{ ciphertext: thousand.body.items[7].ciphertext }],
    });
    assert.equal(decrypt.status, 200, "a revoked key still decrypts in batches");
    assert.equal(decrypt.body.items[0].plaintext, btoa("7"));
    const entries = await auditOf(t, "key.encrypt.batch");
    // Malformed bodies are refused by the contract before any key is touched (not audited).
    assert.deepEqual(entries.map((e) => e.result), [
      "not_found",
      "forbidden",
      "ok",
      "invalid_state",
    ]);
    const sign = await auditOf(t, "key.sign.batch");
    assert.deepEqual(sign.map((e) => e.result), ["invalid_request"], "an AES key cannot sign");
  });
});
