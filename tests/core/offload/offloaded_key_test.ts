import assert from "node:assert/strict";
import type { Algorithm } from "../../../src/domain/algorithms.ts";
import { toHex, utf8 } from "../../../src/core/encoding.ts";
import { isHsmError } from "../../../src/domain/errors.ts";
import { generateMaterial, offloadKey } from "../../../src/core/offload/offloaded_key.ts";
import { createOffloadPool, type OffloadPool } from "../../../src/core/offload/pool.ts";
import type { LoadedKey } from "../../../src/core/provider.ts";
import { compositePublicKey } from "../../../src/core/providers/composite_sig.ts";
import { hybridKemPublicKey } from "../../../src/core/providers/hybrid_kem.ts";
import { providerFor } from "../../../src/core/providers/index.ts";
import { mlDsaPublicKey } from "../../../src/core/providers/ml_dsa.ts";
import { mlKemPublicKey } from "../../../src/core/providers/ml_kem.ts";
import { slhDsaPublicKey } from "../../../src/core/providers/slh_dsa.ts";

const MESSAGE = utf8("offloaded message");
const CONTEXT = utf8("ctx");

async function withPool(fn: (pool: OffloadPool) => Promise<void>): Promise<void> {
  const pool = createOffloadPool({ size: 2 });
  try {
    await fn(pool);
  } finally {
    await pool.close();
  }
}

async function offloaded(pool: OffloadPool, alg: Algorithm): Promise<LoadedKey> {
  const material = await providerFor(alg).generate(alg);
  const key = await offloadKey(pool, alg, material);
  assert.ok(material.every((b) => b === 0), `${alg}: material wiped`);
  return key;
}

function methodsOf(key: LoadedKey): string[] {
  const names = [
    "encrypt",
    "decrypt",
    "sign",
    "verify",
    "mac",
    "macVerify",
    "encapsulate",
    "decapsulate",
    "publicKey",
  ] as const;
  return names.filter((m) => typeof key[m] === "function");
}

const SIGNERS: [Algorithm, (raw: Uint8Array) => LoadedKey | Promise<LoadedKey>][] = [
  ["ML-DSA-65", (raw) => mlDsaPublicKey("ML-DSA-65", raw)],
  ["ML-DSA-87", (raw) => mlDsaPublicKey("ML-DSA-87", raw)],
  ["SLH-DSA-SHAKE-128f", (raw) => slhDsaPublicKey("SLH-DSA-SHAKE-128f", raw)],
  ["ML-DSA-65-EC-P256", (raw) => compositePublicKey("ML-DSA-65-EC-P256", raw)],
];

for (const [alg, verifierFor] of SIGNERS) {
  Deno.test(`offloaded ${alg} signatures verify on the main thread, with their context`, async () => {
    await withPool(async (pool) => {
      const key = await offloaded(pool, alg);
      assert.deepEqual(methodsOf(key), ["sign", "verify", "publicKey"]);
      assert.ok(key.sign && key.verify && key.publicKey);
      const signature = await key.sign(MESSAGE, { context: CONTEXT });
      const verifier = await verifierFor(key.publicKey().raw ?? new Uint8Array());
      assert.ok(verifier.verify);
      assert.equal(await verifier.verify(MESSAGE, signature, { context: CONTEXT }), true);
      assert.equal(await key.verify(MESSAGE, signature, { context: CONTEXT }), true);
      assert.equal(await key.verify(MESSAGE, signature), false);
      await assert.rejects(
        key.sign(MESSAGE, { context: new Uint8Array(256) }),
        (e: unknown) => isHsmError(e, "invalid_request"),
      );
      key.dispose();
      await assert.rejects(key.sign(MESSAGE), TypeError);
      assert.throws(() => key.publicKey?.(), TypeError);
    });
  });
}

const KEMS: [Algorithm, (raw: Uint8Array) => LoadedKey][] = [
  ["ML-KEM-768", (raw) => mlKemPublicKey("ML-KEM-768", raw)],
  ["ML-KEM-768-X25519", (raw) => hybridKemPublicKey("ML-KEM-768-X25519", raw)],
  ["ML-KEM-1024-P384", (raw) => hybridKemPublicKey("ML-KEM-1024-P384", raw)],
];

for (const [alg, encapsulatorFor] of KEMS) {
  Deno.test(`offloaded ${alg} keys decapsulate what the main thread encapsulates`, async () => {
    await withPool(async (pool) => {
      const key = await offloaded(pool, alg);
      assert.deepEqual(methodsOf(key), ["encapsulate", "decapsulate", "publicKey"]);
      assert.ok(key.encapsulate && key.decapsulate && key.publicKey);
      const encapsulator = encapsulatorFor(key.publicKey().raw ?? new Uint8Array());
      assert.ok(encapsulator.encapsulate);
      const { ciphertext, sharedSecret } = await encapsulator.encapsulate();
      assert.equal(toHex(await key.decapsulate(ciphertext)), toHex(sharedSecret));
      const own = await key.encapsulate();
      assert.equal(toHex(await key.decapsulate(own.ciphertext)), toHex(own.sharedSecret));
      await assert.rejects(
        key.decapsulate(ciphertext.subarray(1)),
        (e: unknown) => isHsmError(e, "invalid_request"),
      );
    });
  });
}

Deno.test("an offloaded key publishes the provider's public key, a fresh copy each time", async () => {
  await withPool(async (pool) => {
    const material = await providerFor("ML-DSA-44").generate("ML-DSA-44");
    const direct = await providerFor("ML-DSA-44").load("ML-DSA-44", material.slice());
    const key = await offloadKey(pool, "ML-DSA-44", material);
    assert.ok(key.publicKey && direct.publicKey);
    const first = key.publicKey();
    assert.equal(toHex(first.spki), toHex(direct.publicKey().spki));
    assert.deepEqual(first.jwk, direct.publicKey().jwk);
    first.spki.fill(0);
    assert.equal(toHex(key.publicKey().spki), toHex(direct.publicKey().spki));
  });
});

Deno.test("ECDSA and RSA signing go to the pool; verification and fast paths stay on the main thread", async () => {
  await withPool(async (pool) => {
    const ec = await offloaded(pool, "EC-P256");
    assert.ok(ec.sign && ec.verify);
    const completed = () => pool.stats().completed;
    let before = completed();
    const signature = await ec.sign(MESSAGE);
    assert.equal(completed() - before, 1, "message signing ran in the pool");
    before = completed();
    assert.equal(await ec.verify(MESSAGE, signature), true);
    assert.equal(completed(), before, "message verification used Web Crypto on the main thread");
    const rsa = await offloaded(pool, "RSA-2048");
    assert.ok(rsa.sign && rsa.verify);
    before = completed();
    const rsaSignature = await rsa.sign(MESSAGE);
    assert.equal(completed() - before, 1, "RSA signing ran in the pool");
    before = completed();
    assert.equal(await rsa.verify(MESSAGE, rsaSignature), true);
    assert.equal(completed(), before, "RSA verification stayed on the main thread");
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", MESSAGE));
    before = completed();
    const prehashed = await ec.sign(digest, { prehashed: true });
    assert.equal(await ec.verify(digest, prehashed, { prehashed: true }), true);
    assert.equal(await ec.verify(MESSAGE, prehashed), true, "same ECDSA signature either way");
    assert.equal(completed() - before, 2, "digest sign and verify ran in the pool");
    const keysBefore = pool.stats().keys;
    const aes = await offloaded(pool, "AES-256-GCM");
    assert.ok(aes.encrypt && aes.decrypt);
    const sealed = await aes.encrypt(MESSAGE);
    assert.equal(toHex(await aes.decrypt(sealed)), toHex(MESSAGE));
    assert.equal(pool.stats().keys, keysBefore, "AES keys never enter the pool");
    rsa.dispose();
  });
});

Deno.test("disposing an offloaded key wipes it in every worker and on the main thread", async () => {
  await withPool(async (pool) => {
    const ec = await offloaded(pool, "EC-P384");
    const pq = await offloaded(pool, "ML-KEM-768-P256");
    assert.deepEqual(await pool.heldKeys(), [2, 2]);
    ec.dispose();
    pq.dispose();
    pq.dispose();
    assert.deepEqual(await pool.heldKeys(), [0, 0]);
    assert.ok(ec.sign && pq.decapsulate);
    await assert.rejects(ec.sign(MESSAGE), TypeError);
    await assert.rejects(pq.decapsulate(new Uint8Array(1153)), TypeError);
  });
});

Deno.test("unreadable material fails offloadKey with integrity_error and is wiped", async () => {
  await withPool(async (pool) => {
    for (const alg of ["ML-DSA-65", "EC-P256", "ML-DSA-87-EC-P384"] as const) {
      const material = new Uint8Array(20).fill(4);
      await assert.rejects(
        offloadKey(pool, alg, material),
        (e: unknown) => isHsmError(e, "integrity_error"),
        alg,
      );
      assert.ok(material.every((b) => b === 0), `${alg}: wiped`);
    }
    assert.deepEqual(await pool.heldKeys(), [0, 0]);
    await assert.rejects(offloadKey(pool, "NOPE" as Algorithm, new Uint8Array(1)), RangeError);
  });
});

Deno.test("generateMaterial makes EC and post-quantum keys in the pool and AES keys on the main thread", async () => {
  await withPool(async (pool) => {
    const completed = () => pool.stats().completed;
    for (const alg of ["EC-P256", "ML-DSA-44"] as const) {
      const before = completed();
      const material = await generateMaterial(pool, alg);
      assert.equal(completed() - before, 1, `${alg}: generated by a worker`);
      const key = await providerFor(alg).load(alg, material);
      assert.ok(key.sign && key.verify);
      assert.equal(await key.verify(MESSAGE, await key.sign(MESSAGE)), true, alg);
      key.dispose();
    }
    const before = completed();
    const aes = await generateMaterial(pool, "AES-256-GCM");
    assert.equal(aes.length, 32);
    assert.equal(completed(), before, "AES material is random bytes made on the main thread");
    assert.deepEqual(await pool.heldKeys(), [0, 0], "generation leaves no key in a worker");
    await assert.rejects(generateMaterial(pool, "NOPE" as Algorithm), RangeError);
  });
});
