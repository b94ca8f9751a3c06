/**
 * Sealing: every field of a sealed version and of a key record is bound by its MAC, a
 * blob cannot move to another key or version, and root keys are checked by their KCVs.
 */

import assert from "node:assert/strict";
import { isHsmError } from "../../src/domain/errors.ts";
import { RootKeys } from "../../src/core/master_key.ts";
import { Sealer } from "../../src/core/sealing.ts";
import type { SealedVersion } from "../../src/domain/records.ts";

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

async function sealer(): Promise<Sealer> {
  return new Sealer(await RootKeys.derive(random(32), random(32)));
}

const meta = {
  keyId: "key-1",
  version: 2,
  algorithm: "AES-256-GCM" as const,
  usage: ["encrypt", "decrypt"] as const,
  createdAt: "2026-11-29T00:00:00.000Z",
};

async function rejects(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err) => isHsmError(err, "integrity_error"));
}

Deno.test("seal then unseal returns the material", async () => {
  const s = await sealer();
  const material = random(32);
  const sealed = await s.seal({ ...meta, usage: [...meta.usage] }, material);
  assert.notDeepEqual(sealed.ciphertext.subarray(0, 32), material);
  assert.deepEqual(await s.unseal(sealed, { keyId: "key-1", version: 2 }), material);
});

Deno.test("any change to a sealed version is an integrity error", async () => {
  const s = await sealer();
  const sealed = await s.seal({ ...meta, usage: [...meta.usage] }, random(32));
  const flip = (b: Uint8Array) => {
    const c = b.slice();
    c[0] = (c[0] as number) ^ 1;
    return c;
  };
  const variants: SealedVersion[] = [
    { ...sealed, ciphertext: flip(sealed.ciphertext) },
    { ...sealed, nonce: flip(sealed.nonce) },
    { ...sealed, mac: flip(sealed.mac) },
    { ...sealed, algorithm: "HMAC-SHA256" },
    { ...sealed, usage: ["encrypt"] },
    { ...sealed, createdAt: "2027-01-01T00:00:00.000Z" },
    { ...sealed, sourceVersion: 1 },
    { ...sealed, ciphertext: sealed.ciphertext.subarray(0, 20) },
  ];
  for (const v of variants) await rejects(s.unseal(v, { keyId: "key-1", version: 2 }));
  await rejects(s.unseal({ ...sealed, version: 3 }, { keyId: "key-1", version: 3 }));
  await rejects(s.unseal({ ...sealed, keyId: "key-2" }, { keyId: "key-2", version: 2 }));
  await rejects(s.unseal(sealed, { keyId: "key-1", version: 1 }));
});

Deno.test("a blob sealed under other root keys does not open", async () => {
  const sealed = await (await sealer()).seal({ ...meta, usage: [...meta.usage] }, random(32));
  await rejects((await sealer()).unseal(sealed, { keyId: "key-1", version: 2 }));
});

Deno.test("a key record edited at rest fails its MAC", async () => {
  const s = await sealer();
  const record = await s.macRecord({
    id: "key-1",
    name: "n",
    algorithm: "EC-P256",
    usage: ["sign", "verify"],
    tags: { a: "1" },
    state: "revoked",
    currentVersion: 3,
    dualControl: false,
    createdAt: meta.createdAt,
    updatedAt: meta.createdAt,
    revision: 4,
  });
  assert.equal(await s.verifyRecord(record), record);
  for (
    const edited of [
      { ...record, state: "active" as const },
      { ...record, currentVersion: 1 },
      { ...record, usage: ["sign"] as const },
      { ...record, tags: { a: "2" } },
      { ...record, revision: 5 },
      { ...record, name: "m" },
    ]
  ) await rejects(s.verifyRecord(edited));
});

Deno.test("root keys are wiped after derivation and check values detect a wrong key", async () => {
  const master = random(32), hmac = random(32);
  const a = await RootKeys.derive(master.slice(), hmac.slice());
  const copy = master.slice();
  await RootKeys.derive(copy, hmac.slice());
  assert.ok(copy.every((b) => b === 0), "raw secret wiped");
  const same = await RootKeys.derive(master.slice(), hmac.slice());
  same.assertMatches(a.checkValues);
  const other = await RootKeys.derive(random(32), hmac.slice());
  assert.throws(() => other.assertMatches(a.checkValues), /master key does not match/);
  const otherHmac = await RootKeys.derive(master.slice(), random(32));
  assert.throws(() => otherHmac.assertMatches(a.checkValues), /HMAC key does not match/);
  await assert.rejects(RootKeys.derive(random(16), random(32)), RangeError);
});

Deno.test("origin, rotation period and minimum version are bound only when not default", async () => {
  const s = await sealer();
  const base = {
    id: "key-1",
    name: "n",
    algorithm: "AES-256-GCM" as const,
    usage: ["encrypt", "decrypt"] as const,
    tags: {},
    state: "active" as const,
    currentVersion: 3,
    dualControl: false,
    createdAt: meta.createdAt,
    updatedAt: meta.createdAt,
    revision: 2,
  };
  const plain = await s.macRecord(base);
  // Defaults do not change the MAC: records written before these fields still verify.
  const defaults = await s.macRecord({ ...base, origin: "generated", minDecryptionVersion: 1 });
  assert.equal(defaults.mac, plain.mac);
  const extended = await s.macRecord({
    ...base,
    origin: "imported",
    rotationPeriod: "P90D",
    minDecryptionVersion: 2,
  });
  assert.notEqual(extended.mac, plain.mac);
  await s.verifyRecord(extended);
  for (
    const edited of [
      { ...extended, origin: "generated" as const },
      { ...extended, rotationPeriod: "P9000D" },
      { ...extended, rotationPeriod: undefined },
      { ...extended, minDecryptionVersion: 1 },
      { ...plain, minDecryptionVersion: 3 },
    ]
  ) await rejects(s.verifyRecord(edited as typeof extended));
});

/**
 * Made by the Web Crypto implementation (HMAC `CryptoKey`s from HKDF `deriveKey`, before
 * the MAC keys moved to `MacKey`) from root secrets 0x01… and 0x02…: data sealed and
 * MAC'd then must still open and verify.
 */
const BEFORE_MAC_KEY = {
  recordMac: "48cgQwVmcD7Tinfv62Lp0ngPIFjSCG1kxh5VbZnkVrAH9wozIZFPOqdj1zr2XAOI",
  approvalMac: "OOQbSOlqa6T2wXN7sSFCc7y2+iUWeIH0tfea2wnCV8Kmc/JuohuzCaXFXAMaNxTb",
  nonce: "UdMh/9Z+ohWTGYTw",
  ciphertext: "WmmIRCBFvosiAZXA83iBb+ieKQlLud7rSDUzcDe1ZP6hCiTqKv+4qxoV2RoqUvoX",
  mac: "e/BFp3/Y9J04DnI6BYqbtvlOighAYfO0e9weIaAy14UnD+mvZmmuNOsD8HJnn3JE",
};

Deno.test("records, approvals and sealed versions MAC'd by the Web Crypto implementation still verify and open", async () => {
  const keys = await RootKeys.derive(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));
  const s = new Sealer(keys);
  const record = {
    id: "key-1",
    name: "vector",
    algorithm: "AES-256-GCM" as const,
    usage: ["encrypt" as const, "decrypt" as const],
    tags: { env: "prod" },
    state: "active" as const,
    currentVersion: 1,
    dualControl: false,
    createdAt: "2026-11-29T00:00:00.000Z",
    updatedAt: "2026-11-29T00:00:00.000Z",
    revision: 1,
  };
  assert.equal(s.macRecord(record).mac, BEFORE_MAC_KEY.recordMac);
  await s.verifyRecord({ ...record, mac: BEFORE_MAC_KEY.recordMac });
  const approval = {
    id: "ap-1",
    action: "key.destroy" as const,
    keyId: "key-1",
    requestedBy: "alice",
    approvals: [{ actor: "bob", at: "2026-11-29T00:00:01.000Z" }],
    quorum: 2,
    state: "pending" as const,
    createdAt: "2026-11-29T00:00:00.000Z",
    expiresAt: "2026-11-30T00:00:00.000Z",
    params: {},
    revision: 1,
  };
  assert.equal(s.macApproval(approval).mac, BEFORE_MAC_KEY.approvalMac);
  const sealed: SealedVersion = {
    ...meta,
    usage: [...meta.usage],
    nonce: Uint8Array.fromBase64(BEFORE_MAC_KEY.nonce),
    ciphertext: Uint8Array.fromBase64(BEFORE_MAC_KEY.ciphertext),
    mac: Uint8Array.fromBase64(BEFORE_MAC_KEY.mac),
  };
  assert.deepEqual(
    await s.unseal(sealed, { keyId: "key-1", version: 2 }),
    new Uint8Array(32).fill(7),
  );
  keys.close();
});

Deno.test("closed root keys refuse to MAC: the derived MAC keys are wiped", async () => {
  const keys = await RootKeys.derive(random(32), random(32));
  const s = new Sealer(keys);
  const sealed = await s.seal({ ...meta, usage: [...meta.usage] }, random(32));
  keys.close();
  keys.close();
  await assert.rejects(s.seal({ ...meta, usage: [...meta.usage] }, random(32)), TypeError);
  await assert.rejects(s.unseal(sealed, { keyId: "key-1", version: 2 }), TypeError);
});
