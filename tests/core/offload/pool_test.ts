import assert from "node:assert/strict";
import { isHsmError } from "../../../src/domain/errors.ts";
import { createOffloadPool } from "../../../src/core/offload/pool.ts";
import { providerFor } from "../../../src/core/providers/index.ts";

const MESSAGE = new TextEncoder().encode("offloaded message");

async function material(alg: "ML-DSA-65" | "ML-KEM-768"): Promise<Uint8Array> {
  return await providerFor(alg).generate(alg);
}

Deno.test("a pool has one worker per core by default and never fewer than one", async () => {
  const byDefault = createOffloadPool();
  const tiny = createOffloadPool({ size: 0 });
  try {
    assert.equal(byDefault.size, Math.max(1, navigator.hardwareConcurrency));
    assert.equal(tiny.size, 1);
    assert.equal(tiny.stats().alive, 1);
  } finally {
    await byDefault.close();
    await tiny.close();
  }
});

Deno.test("a loaded key is wiped on the main thread, held by every worker, and wiped by dispose", async () => {
  const pool = createOffloadPool({ size: 2 });
  try {
    const seed = await material("ML-DSA-65");
    const remote = await pool.load("ML-DSA-65", seed);
    assert.ok(seed.every((b) => b === 0), "material wiped on the main thread");
    assert.deepEqual([...remote.methods].sort(), ["sign", "verify"]);
    assert.deepEqual(await pool.heldKeys(), [1, 1]);
    assert.equal(pool.stats().keys, 1);
    const signature = await remote.call("sign", [MESSAGE]);
    assert.ok(signature instanceof Uint8Array && signature.length === 3309);
    assert.equal(await remote.call("verify", [MESSAGE, signature]), true);
    remote.dispose();
    assert.deepEqual(await pool.heldKeys(), [0, 0], "every worker dropped and wiped it");
    assert.equal(pool.stats().keys, 0);
    await assert.rejects(remote.call("sign", [MESSAGE]), TypeError);
  } finally {
    await pool.close();
  }
});

Deno.test("concurrent calls are spread over the workers", async () => {
  const pool = createOffloadPool({ size: 2 });
  try {
    const remote = await pool.load("ML-DSA-65", await material("ML-DSA-65"));
    const before = pool.stats().completedPerWorker;
    await Promise.all(Array.from({ length: 8 }, () => remote.call("sign", [MESSAGE])));
    const after = pool.stats().completedPerWorker;
    const served = after.map((n, i) => n - (before[i] ?? 0));
    assert.equal(served.reduce((a, b) => a + b, 0), 8);
    assert.ok(served.every((n) => n >= 2), `both workers served calls: ${served}`);
    assert.equal(pool.stats().inFlight, 0);
  } finally {
    await pool.close();
  }
});

Deno.test("errors keep their class and HsmError code across the thread hop", async () => {
  const pool = createOffloadPool({ size: 1 });
  try {
    const bad = new Uint8Array(5).fill(1);
    await assert.rejects(
      pool.load("ML-DSA-65", bad),
      (e: unknown) =>
        isHsmError(e, "integrity_error") && e.message === "Sealed key material is unreadable",
    );
    assert.ok(bad.every((b) => b === 0), "wiped even when the load fails");
    assert.deepEqual(await pool.heldKeys(), [0]);
    const remote = await pool.load("ML-KEM-768", await material("ML-KEM-768"));
    await assert.rejects(
      remote.call("decapsulate", [new Uint8Array(3)]),
      (e: unknown) => isHsmError(e, "invalid_request") && /1088 bytes/.test(e.message),
    );
    await assert.rejects(remote.call("sign", [MESSAGE]), TypeError);
  } finally {
    await pool.close();
  }
});

Deno.test("closing a pool wipes its keys and later loads and calls answer unavailable", async () => {
  const pool = createOffloadPool({ size: 1 });
  const remote = await pool.load("ML-DSA-65", await material("ML-DSA-65"));
  await pool.close();
  await pool.close();
  assert.equal(pool.stats().alive, 0);
  assert.deepEqual(await pool.heldKeys(), []);
  const isUnavailable = (e: unknown) => isHsmError(e, "unavailable");
  await assert.rejects(
    remote.call("sign", [MESSAGE]),
    (e: unknown) => isUnavailable(e) || e instanceof TypeError,
  );
  await assert.rejects(pool.load("ML-DSA-65", await material("ML-DSA-65")), isUnavailable);
});

// Deno prints the crashing worker's uncaught error ("worker crashed on cue") on stderr;
// that line is expected.
Deno.test("a crashed worker fails its calls with unavailable and the key lives on elsewhere", async () => {
  const pool = createOffloadPool({
    size: 2,
    workerUrl: new URL("./_crashing_worker.ts", import.meta.url),
  });
  try {
    const remote = await pool.load(
      "ML-DSA-44",
      await providerFor("ML-DSA-44").generate("ML-DSA-44"),
    );
    await assert.rejects(
      remote.call("sign", [Uint8Array.of(0xff)]),
      (e: unknown) => isHsmError(e, "unavailable"),
    );
    assert.equal(pool.stats().alive, 1);
    assert.deepEqual(await pool.heldKeys(), [1]);
    for (let i = 0; i < 3; i++) {
      const signature = await remote.call("sign", [MESSAGE]);
      assert.equal(await remote.call("verify", [MESSAGE, signature]), true);
    }
  } finally {
    await pool.close();
  }
});
