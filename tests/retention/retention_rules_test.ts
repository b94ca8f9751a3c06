/** When versions become due for purging, per class, state and time. */

import assert from "node:assert/strict";
import type { KeyRecord, SealedVersion } from "../../src/domain/records.ts";
import type { RetentionClass } from "../../src/retention/retention_classes.ts";
import { dueVersions } from "../../src/retention/retention_rules.ts";

const DAY = 24 * 3600 * 1000;
const T0 = Date.parse("2025-01-01T00:00:00Z");
const at = (days: number) => new Date(T0 + days * DAY);

const rules: RetentionClass = {
  name: "short",
  revokedVersionsDays: 30,
  destroyedKeysDays: 7,
  purgeRequiresApproval: true,
  graceHours: 24,
};

function record(changes: Partial<KeyRecord>): KeyRecord {
  return {
    id: "k",
    name: "k",
    algorithm: "AES-256-GCM",
    usage: ["encrypt", "decrypt"],
    tags: {},
    state: "active",
    currentVersion: 3,
    dualControl: false,
    createdAt: at(0).toISOString(),
    updatedAt: at(0).toISOString(),
    revision: 1,
    mac: "",
    ...changes,
  };
}

function version(n: number, createdDays: number, purged = false): SealedVersion {
  return {
    keyId: "k",
    version: n,
    algorithm: "AES-256-GCM",
    usage: ["encrypt", "decrypt"],
    createdAt: at(createdDays).toISOString(),
    ...(purged ? { purgedAt: at(createdDays).toISOString() } : {}),
    nonce: new Uint8Array(0),
    ciphertext: new Uint8Array(0),
    mac: new Uint8Array(0),
  };
}

Deno.test("an earlier version is due its window after the version that replaced it", () => {
  const vs = [version(1, 0), version(2, 10), version(3, 20)];
  const due = (days: number) => dueVersions(record({}), vs, rules, at(days)).map((d) => d.version);
  assert.deepEqual(due(39), []);
  assert.deepEqual(due(40), [1]);
  assert.deepEqual(due(50), [1, 2], "the current version of an active key never is");
  assert.equal(dueVersions(record({}), vs, rules, at(40))[0]?.dueAt.getTime(), at(40).getTime());
});

Deno.test("a revoked key's current version is due from the revocation; purged ones never again", () => {
  const vs = [version(1, 0, true), version(2, 10), version(3, 20)];
  const revoked = record({ state: "revoked", updatedAt: at(25).toISOString() });
  assert.deepEqual(dueVersions(revoked, vs, rules, at(55)).map((d) => d.version), [2, 3]);
  assert.deepEqual(dueVersions(revoked, vs, rules, at(54)).map((d) => d.version), [2]);
});

Deno.test("a destroyed key's versions are due together; a class that keeps for ever never purges", () => {
  const vs = [version(1, 0), version(2, 10)];
  const destroyed = record({
    state: "destroyed",
    currentVersion: 2,
    updatedAt: at(12).toISOString(),
  });
  assert.deepEqual(dueVersions(destroyed, vs, rules, at(18)), []);
  assert.deepEqual(dueVersions(destroyed, vs, rules, at(19)).map((d) => d.version), [1, 2]);
  const forever = { ...rules, revokedVersionsDays: null };
  assert.deepEqual(dueVersions(record({}), vs, forever, at(10_000)), []);
  assert.deepEqual(dueVersions(record({ state: "staged" }), vs, rules, at(10_000)), []);
});
