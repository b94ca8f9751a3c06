/**
 * BYOK over REST: import parameters, import of every material format (the imported
 * material is the one in use: checked against Web Crypto and noble with the caller's
 * copy), a new version of an imported key, every refusal (token unknown, reused, expired,
 * for another algorithm; a tampered wrap; invalid material; wrong target key) with
 * nothing stored, the audit entries, and Wycheproof private keys through the API.
 */

import assert from "node:assert/strict";
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { fromBase64, fromBase64Url, toBase64, toHex } from "../../src/core/encoding.ts";
import { wrapKeyForImport } from "../../src/core/import_wrapping.ts";
import { hex, loadVectors, vectorTest } from "../_vectors.ts";
import { makeTestApp, type TestApp } from "./_app.ts";
import { auditOf, fixedWrappingKeys, importMaterial, importParams } from "./_key_ops.ts";

const MSG = btoa("imported keys sign this");

function b64(text: string): Uint8Array<ArrayBuffer> {
  const bytes = fromBase64(text);
  assert.ok(bytes !== undefined);
  return bytes;
}

async function pkcs8Of(algorithm: EcKeyGenParams | RsaHashedKeyGenParams | { name: string }) {
  const pair = await crypto.subtle.generateKey(algorithm, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  return { pair, pkcs8: new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)) };
}

async function withApp(
  fn: (t: TestApp, admin: string) => Promise<void>,
  flags: string[] = ["--key-store", "memory"],
  clock?: () => Date,
): Promise<void> {
  const t = await makeTestApp(flags, {
    wrappingKeys: fixedWrappingKeys(),
    ...(clock === undefined ? {} : { clock }),
  });
  try {
    await fn(t, await t.inst.token("alice", ["Administrator"]));
  } finally {
    await t.close();
  }
}

Deno.test("imported symmetric keys are the caller's material and say origin imported", async () => {
  await withApp(async (t, admin) => {
    const aesMaterial = crypto.getRandomValues(new Uint8Array(32));
    const aes = await importMaterial(t, admin, "AES-256-GCM", aesMaterial, { tags: { byok: "1" } });
    assert.equal(aes.status, 201, JSON.stringify(aes.body));
    assert.equal(aes.body.origin, "imported");
    assert.equal(aes.body.state, "active");
    assert.deepEqual(aes.body.tags, { byok: "1" });
    const ct = await t.call(admin, "POST", `/api/v1/keys/${aes.body.id}/encrypt`, {
      plaintext: MSG,
    });
    const blob = b64(ct.body.ciphertext.slice("fhsm:v1:".length));
    const local = await crypto.subtle.importKey("raw", aesMaterial, "AES-GCM", false, ["decrypt"]);
    const opened = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: blob.subarray(0, 12) },
      local,
      blob.subarray(12),
    );
    assert.equal(toBase64(new Uint8Array(opened)), MSG);

    const hmacMaterial = crypto.getRandomValues(new Uint8Array(32));
    const hmac = await importMaterial(t, admin, "HMAC-SHA256", hmacMaterial);
    assert.equal(hmac.status, 201);
    const tag = await t.call(admin, "POST", `/api/v1/keys/${hmac.body.id}/mac`, { message: MSG });
    const hk = await crypto.subtle.importKey(
      "raw",
      hmacMaterial,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const expected = new Uint8Array(await crypto.subtle.sign("HMAC", hk, b64(MSG)));
    assert.equal(tag.body.mac, toBase64(expected));
  });
});

Deno.test("imported EC, Ed25519 and RSA keys sign what their public halves verify", async () => {
  await withApp(async (t, admin) => {
    const cases: [string, EcKeyGenParams | RsaHashedKeyGenParams | { name: string }, unknown][] = [
      ["EC-P256", { name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }],
      ["EC-P384", { name: "ECDSA", namedCurve: "P-384" }, { name: "ECDSA", hash: "SHA-384" }],
      ["Ed25519", { name: "Ed25519" }, { name: "Ed25519" }],
      [
        "RSA-2048",
        {
          name: "RSASSA-PKCS1-v1_5",
          modulusLength: 2048,
          publicExponent: Uint8Array.of(1, 0, 1),
          hash: "SHA-256",
        },
        { name: "RSASSA-PKCS1-v1_5" },
      ],
    ];
    for (const [algorithm, gen, verifyParams] of cases) {
      const { pair, pkcs8 } = await pkcs8Of(gen);
      const r = await importMaterial(t, admin, algorithm, pkcs8);
      assert.equal(r.status, 201, `${algorithm}: ${JSON.stringify(r.body)}`);
      const extra = algorithm.startsWith("EC-") ? { signature_format: "raw" } : {};
      const sig = await t.call(admin, "POST", `/api/v1/keys/${r.body.id}/sign`, {
        message: MSG,
        ...extra,
      });
      assert.equal(sig.status, 200);
      const ok = await crypto.subtle.verify(
        verifyParams as AlgorithmIdentifier,
        pair.publicKey,
        b64(sig.body.signature),
        b64(MSG),
      );
      assert.ok(ok, `${algorithm} signature verifies with the caller's public key`);
    }
  });
});

Deno.test("imported ML-KEM and ML-DSA seeds derive the caller's public keys", async () => {
  await withApp(async (t, admin) => {
    const kemSeed = crypto.getRandomValues(new Uint8Array(64));
    const kem = await importMaterial(t, admin, "ML-KEM-768", kemSeed);
    assert.equal(kem.status, 201);
    const kemPub = await t.call(admin, "GET", `/api/v1/keys/${kem.body.id}/public`);
    assert.equal(kemPub.body.raw, toBase64(ml_kem768.keygen(kemSeed).publicKey));
    const dsaSeed = crypto.getRandomValues(new Uint8Array(32));
    const dsa = await importMaterial(t, admin, "ML-DSA-65", dsaSeed);
    assert.equal(dsa.status, 201);
    const dsaPub = await t.call(admin, "GET", `/api/v1/keys/${dsa.body.id}/public`);
    assert.equal(dsaPub.body.raw, toBase64(ml_dsa65.keygen(dsaSeed).publicKey));
  });
});

Deno.test("importing with key_id adds a current version; earlier ciphertexts still decrypt", async () => {
  await withApp(async (t, admin) => {
    const first = await importMaterial(
      t,
      admin,
      "AES-256-GCM",
      crypto.getRandomValues(new Uint8Array(32)),
    );
    const id = first.body.id;
    const old = await t.call(admin, "POST", `/api/v1/keys/${id}/encrypt`, { plaintext: MSG });
    const second = await importMaterial(
      t,
      admin,
      "AES-256-GCM",
      crypto.getRandomValues(new Uint8Array(32)),
      { key_id: id, name: undefined },
    );
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.current_version, 2);
    assert.equal(second.body.origin, "imported");
    const fresh = await t.call(admin, "POST", `/api/v1/keys/${id}/encrypt`, { plaintext: MSG });
    assert.match(fresh.body.ciphertext, /^fhsm:v2:/);
    for (const ct of [old.body.ciphertext, fresh.body.ciphertext]) {
      const d = await t.call(admin, "POST", `/api/v1/keys/${id}/decrypt`, { ciphertext: ct });
      assert.equal(d.body.plaintext, MSG);
    }
  });
});

Deno.test("every bad import is refused and stores nothing", async () => {
  let now = new Date("2026-06-01T00:00:00Z");
  await withApp(
    async (t, admin) => {
      const count = async () => (await t.call(admin, "GET", "/api/v1/keys")).body.total;
      const generated = await t.call(admin, "POST", "/api/v1/keys", {
        name: "g",
        algorithm: "AES-256-GCM",
      });
      const imported = await importMaterial(t, admin, "AES-256-GCM", new Uint8Array(32).fill(7));
      const revokedKey = await importMaterial(t, admin, "AES-256-GCM", new Uint8Array(32).fill(8));
      await t.call(admin, "POST", `/api/v1/keys/${revokedKey.body.id}/revoke`);
      const before = await count();
      const aes = new Uint8Array(32).fill(1);
      const ecAltered = (await pkcs8Of({ name: "ECDSA", namedCurve: "P-256" })).pkcs8;
      ecAltered[ecAltered.length - 1] = (ecAltered[ecAltered.length - 1] as number) ^ 1;

      const refuse = async (
        what: string,
        status: number,
        code: string,
        body: () => Promise<Record<string, unknown>>,
        message?: RegExp,
      ) => {
        const r = await t.call(admin, "POST", "/api/v1/keys/import", await body());
        assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, code, what);
        if (message !== undefined) assert.match(r.body.error.message, message, what);
      };
      const wrapped = async (algorithm: string, material: Uint8Array, extra = {}) => {
        const p = await importParams(t, admin, algorithm);
        return {
          name: "bad",
          algorithm,
          import_token: p.token,
          wrapped_key: toBase64(await wrapKeyForImport(p.spki, material)),
          ...extra,
        };
      };

      await refuse("unknown token", 400, "invalid_request", async () => ({
        ...(await wrapped("AES-256-GCM", aes)),
        import_token: "not-a-token",
      }), /unknown, used or expired/);
      const used = await wrapped("AES-256-GCM", aes);
      assert.equal((await t.call(admin, "POST", "/api/v1/keys/import", used)).status, 201);
      await refuse("a used token", 400, "invalid_request", () => Promise.resolve(used));
      const failed = await wrapped("AES-256-GCM", new Uint8Array(31));
      await refuse(
        "31-byte AES key",
        400,
        "invalid_request",
        () => Promise.resolve(failed),
        /Invalid key material/,
      );
      await refuse(
        "retry after a failure",
        400,
        "invalid_request",
        () => Promise.resolve(failed),
        /unknown, used/,
      );
      await refuse("token for another algorithm", 400, "invalid_request", async () => ({
        ...(await wrapped("AES-256-GCM", aes)),
        algorithm: "HMAC-SHA256",
      }), /issued for AES-256-GCM/);
      const expiring = await wrapped("AES-256-GCM", aes);
      now = new Date(now.getTime() + 24 * 3600 * 1000 + 1000);
      await refuse("expired token", 400, "invalid_request", () => Promise.resolve(expiring));
      await refuse("tampered wrap", 400, "invalid_request", async () => {
        const body = await wrapped("AES-256-GCM", aes);
        const bytes = b64(body.wrapped_key as string);
        bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 1;
        return { ...body, wrapped_key: toBase64(bytes) };
      }, /Cannot unwrap key material/);
      await refuse(
        "altered EC point",
        400,
        "invalid_request",
        () => wrapped("EC-P256", ecAltered),
        /public point/,
      );
      await refuse("RSA material as EC", 400, "invalid_request", async () =>
        wrapped(
          "EC-P256",
          (await pkcs8Of({
            name: "RSASSA-PKCS1-v1_5",
            modulusLength: 2048,
            publicExponent: Uint8Array.of(1, 0, 1),
            hash: "SHA-256",
          })).pkcs8,
        ));
      await refuse(
        "ML-DSA seed of 31 bytes",
        400,
        "invalid_request",
        () => wrapped("ML-DSA-65", new Uint8Array(31)),
      );
      const unnamed = await wrapped("AES-256-GCM", aes);
      await refuse(
        "no name for a new key",
        400,
        "invalid_request",
        () => Promise.resolve({ ...unnamed, name: undefined }),
        /name/,
      );
      const named = await t.call(admin, "POST", "/api/v1/keys/import", unnamed);
      assert.equal(named.status, 201, "a request refused before unwrapping keeps its token");
      await refuse(
        "usage the algorithm lacks",
        400,
        "invalid_request",
        () => wrapped("AES-256-GCM", aes, { usage: ["sign"] }),
      );
      await refuse(
        "a generated key as target",
        409,
        "invalid_state",
        () => wrapped("AES-256-GCM", aes, { key_id: generated.body.id }),
        /generated here/,
      );
      await refuse(
        "a target of another algorithm",
        400,
        "invalid_request",
        () => wrapped("HMAC-SHA256", aes, { key_id: imported.body.id }),
      );
      await refuse(
        "a revoked target",
        409,
        "invalid_state",
        () => wrapped("AES-256-GCM", aes, { key_id: revokedKey.body.id }),
      );
      await refuse(
        "a missing target",
        404,
        "not_found",
        () => wrapped("AES-256-GCM", aes, { key_id: "missing" }),
      );
      assert.equal(await count(), before + 2, "only the two good imports were stored");
      const versions = await t.call(admin, "GET", `/api/v1/keys/${imported.body.id}/versions`);
      assert.equal(versions.body.items.length, 1);
    },
    ["--key-store", "memory"],
    () => now,
  );
});

Deno.test("an imported version waits for nobody: under rotation dual control it is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const policy = `${dir}/approvals.json`;
    await Deno.writeTextFile(policy, JSON.stringify({ actions: { "key.rotate": { quorum: 1 } } }));
    await withApp(async (t, admin) => {
      const first = await importMaterial(t, admin, "AES-256-GCM", new Uint8Array(32).fill(3));
      const again = await importMaterial(t, admin, "AES-256-GCM", new Uint8Array(32).fill(4), {
        key_id: first.body.id,
      });
      assert.equal(again.status, 409);
      assert.match(again.body.error.message, /rotation requires approval/);
    }, ["--key-store", "memory", "--approval-policy", policy]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import needs key:import and both steps are audited with the token's id", async () => {
  await withApp(async (t, admin) => {
    for (const role of ["Service", "Auditor"]) {
      const token = await t.inst.token(`as-${role}`, [role]);
      const p = await t.call(token, "POST", "/api/v1/keys/import-params", {
        algorithm: "AES-256-GCM",
      });
      assert.equal(p.status, 403, role);
    }
    const operator = await t.inst.token("olivia", ["Operator"]);
    const ok = await importMaterial(t, operator, "AES-256-GCM", new Uint8Array(32).fill(9));
    assert.equal(ok.status, 201);
    const service = await t.inst.token("svc", ["Service"]);
    const p = await importParams(t, admin, "AES-256-GCM");
    const denied = await t.call(service, "POST", "/api/v1/keys/import", {
      name: "x",
      algorithm: "AES-256-GCM",
      import_token: p.token,
      wrapped_key: toBase64(await wrapKeyForImport(p.spki, new Uint8Array(32))),
    });
    assert.equal(denied.status, 403);

    const params = await auditOf(t, "key.import_params");
    assert.deepEqual(params.map((e) => [e.actor, e.result]), [
      ["as-Service", "forbidden"],
      ["as-Auditor", "forbidden"],
      ["olivia", "ok"],
      ["alice", "ok"],
    ]);
    const imports = await auditOf(t, "key.import");
    assert.deepEqual(imports.map((e) => [e.actor, e.result, e.key_id]), [
      ["olivia", "ok", ok.body.id],
      ["svc", "forbidden", null],
    ]);
    const auditor = await t.inst.token("auditor", ["Auditor"]);
    const all = JSON.stringify((await t.call(auditor, "GET", "/api/v1/audit?limit=1000")).body);
    assert.ok(!all.includes(p.token), "the token never reaches the audit log");
  });
});

interface RsaGroup {
  keySize: string | number;
  privateKeyPkcs8?: string;
  privateKeyJwk?: { n: string };
}

vectorTest(
  "wycheproof private keys import through the API and serve the vectors' public keys",
  "wycheproof/testvectors_v1/mlkem_768_keygen_seed_test.json",
  async () => {
    await withApp(async (t, admin) => {
      const dir = "wycheproof/testvectors_v1";
      let imported = 0;
      for (const bits of [2048, 3072, 4096]) {
        const file = loadVectors<{ testGroups: RsaGroup[] }>(
          `${dir}/rsa_oaep_${bits}_sha256_mgf1sha256_test.json`,
        );
        for (const g of file.testGroups) {
          const r = await importMaterial(t, admin, `RSA-${bits}`, hex(g.privateKeyPkcs8 ?? ""));
          assert.equal(r.status, 201, JSON.stringify(r.body));
          const pub = await t.call(admin, "GET", `/api/v1/keys/${r.body.id}/public`);
          assert.equal(
            toHex(fromBase64Url(pub.body.jwk.n) ?? new Uint8Array(0)),
            toHex(fromBase64Url(g.privateKeyJwk?.n ?? "") ?? new Uint8Array(1)),
          );
          imported++;
        }
      }
      const kem = loadVectors<{ testGroups: { tests: { seed: string; ek: string }[] }[] }>(
        `${dir}/mlkem_768_keygen_seed_test.json`,
      );
      for (const v of kem.testGroups.flatMap((g) => g.tests).slice(0, 5)) {
        const r = await importMaterial(t, admin, "ML-KEM-768", hex(v.seed));
        assert.equal(r.status, 201);
        const pub = await t.call(admin, "GET", `/api/v1/keys/${r.body.id}/public`);
        assert.equal(toHex(b64(pub.body.raw)), v.ek);
        imported++;
      }
      const dsa = loadVectors<
        { testGroups: { privateSeed: string; publicKey: string; tests: { result: string }[] }[] }
      >(`${dir}/mldsa_65_sign_seed_test.json`);
      for (const g of dsa.testGroups.slice(0, 8)) {
        const r = await importMaterial(t, admin, "ML-DSA-65", hex(g.privateSeed));
        if (g.tests.every((x) => x.result === "invalid") && g.privateSeed.length !== 64) {
          assert.equal(r.status, 400, "a malformed Wycheproof seed is refused");
          continue;
        }
        assert.equal(r.status, 201);
        const pub = await t.call(admin, "GET", `/api/v1/keys/${r.body.id}/public`);
        assert.equal(toHex(b64(pub.body.raw)), g.publicKey);
        imported++;
      }
      assert.ok(imported >= 15, `${imported} imported`);
    });
  },
);
