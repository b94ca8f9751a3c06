/**
 * The key lifecycle rules, as a table: which state allows which change and operation,
 * version choice and rollback targets, and the derived state of each version.
 */

import assert from "node:assert/strict";
import { isHsmError } from "../../src/domain/errors.ts";
import {
  canTransition,
  chooseVersion,
  type KeyOperation,
  type KeyTransition,
  nextVersion,
  requirePublicReadable,
  requireRollbackTarget,
  requireTransition,
  requireUsable,
  versionState,
} from "../../src/domain/key_lifecycle.ts";
import type { KeyRecord, KeyState, SealedVersion } from "../../src/domain/records.ts";

function key(
  state: KeyState,
  currentVersion = 3,
  usage: KeyRecord["usage"] = ["encrypt", "decrypt"],
): KeyRecord {
  return {
    id: "k1",
    name: "n",
    algorithm: "AES-256-GCM",
    usage,
    tags: {},
    state,
    currentVersion,
    dualControl: false,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    revision: 1,
    mac: "",
  };
}

function version(n: number): SealedVersion {
  return {
    keyId: "k1",
    version: n,
    algorithm: "AES-256-GCM",
    usage: ["encrypt"],
    createdAt: "t",
    nonce: new Uint8Array(),
    ciphertext: new Uint8Array(),
    mac: new Uint8Array(),
  };
}

const TRANSITIONS: Record<KeyTransition, readonly KeyState[]> = {
  activate: ["staged"],
  rotate: ["active"],
  rollback: ["active"],
  revoke: ["active"],
  destroy: ["active", "staged", "revoked"],
};

for (const [transition, allowed] of Object.entries(TRANSITIONS) as [KeyTransition, KeyState[]][]) {
  Deno.test(`${transition} starts only from ${allowed.join(", ")}`, () => {
    for (const state of ["staged", "active", "revoked", "destroyed"] as const) {
      assert.equal(canTransition(state, transition), allowed.includes(state), state);
      if (allowed.includes(state)) {
        requireTransition(key(state), transition);
      } else {
        assert.throws(
          () => requireTransition(key(state), transition),
          (e: unknown) => isHsmError(e, "invalid_state") && e.message.includes(state),
        );
      }
    }
  });
}

const OPERATIONS: [KeyOperation, KeyRecord["usage"], boolean][] = [
  ["encrypt", ["encrypt"], true],
  ["decrypt", ["decrypt"], false],
  ["sign", ["sign"], true],
  ["verify", ["verify"], false],
  ["mac", ["mac"], true],
  ["mac_verify", ["mac"], false],
  ["encapsulate", ["encapsulate"], true],
  ["decapsulate", ["decapsulate"], false],
];

for (const [operation, usage, producing] of OPERATIONS) {
  Deno.test(`${operation} works on active keys${producing ? "" : " and revoked keys"} only`, () => {
    requireUsable(key("active", 1, usage), operation);
    const revoked = () => requireUsable(key("revoked", 1, usage), operation);
    if (producing) assert.throws(revoked, (e: unknown) => isHsmError(e, "invalid_state"));
    else revoked();
    for (const state of ["staged", "destroyed"] as const) {
      assert.throws(
        () => requireUsable(key(state, 1, usage), operation),
        (e: unknown) => isHsmError(e, "invalid_state"),
      );
    }
    assert.throws(
      () => requireUsable(key("active", 1, ["wrap"]), operation),
      (e: unknown) => isHsmError(e, "invalid_request"),
    );
  });
}

Deno.test("versions: the current one by default, an existing one on request, else not found", () => {
  assert.equal(chooseVersion(key("active", 3), undefined), 3);
  assert.equal(chooseVersion(key("active", 3), 1), 1);
  for (const bad of [0, 4, 1.5, -1]) {
    assert.throws(() => chooseVersion(key("active", 3), bad), (e) => isHsmError(e, "not_found"));
  }
  assert.equal(nextVersion(key("active", 3)), 4);
});

Deno.test("a rollback targets an earlier version, never the current or a later one", () => {
  requireRollbackTarget(key("active", 3), 1);
  requireRollbackTarget(key("active", 3), 2);
  for (const bad of [0, 3, 4, 2.5]) {
    assert.throws(
      () => requireRollbackTarget(key("active", 3), bad),
      (e) => isHsmError(e, "invalid_request"),
    );
  }
});

Deno.test("the current version of a live key is active, the others revoked; all die with the key", () => {
  assert.equal(versionState(key("active", 3), version(3)), "active");
  assert.equal(versionState(key("active", 3), version(2)), "revoked");
  assert.equal(versionState(key("revoked", 3), version(3)), "revoked");
  assert.equal(versionState(key("destroyed", 3), version(3)), "destroyed");
});

Deno.test("a destroyed or staged key's public half is not served", () => {
  requirePublicReadable(key("active"));
  requirePublicReadable(key("revoked"));
  for (const state of ["destroyed", "staged"] as const) {
    assert.throws(() => requirePublicReadable(key(state)), (e) => isHsmError(e, "invalid_state"));
  }
});
