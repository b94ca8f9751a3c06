/**
 * The key lifecycle rules in one pure module (no I/O, no crypto): which state allows
 * which operation, how a version is chosen, which versions a rollback may target and
 * what state each version is in. Services ask these functions; no handler or store
 * decides a lifecycle question on its own.
 *
 * States: `staged` (created under dual control, waiting for activation), `active`,
 * `revoked` (consuming operations only: decrypt, verify, MAC verify, decapsulate) and
 * `destroyed` (final; the record stays so the id is never reused).
 *
 * A key that never became active is never usable: a staged key cannot be revoked (that
 * would open its consuming half without an approver; deny its activation or request its
 * destruction instead), is refused for every operation, and its public key is not served.
 */

import { HsmError } from "./errors.ts";
import type { Usage } from "./algorithms.ts";
import type { KeyRecord, KeyState, SealedVersion, VersionState } from "./records.ts";

/** A lifecycle change of a key. */
export type KeyTransition = "activate" | "rotate" | "rollback" | "revoke" | "destroy";

/** The states each lifecycle change starts from. */
const TRANSITION_FROM: Readonly<Record<KeyTransition, readonly KeyState[]>> = Object.freeze({
  activate: ["staged"],
  rotate: ["active"],
  rollback: ["active"],
  revoke: ["active"],
  destroy: ["active", "staged", "revoked"],
});

/** The verb each transition uses in error messages. */
const TRANSITION_VERB: Readonly<Record<KeyTransition, string>> = Object.freeze({
  activate: "activate",
  rotate: "rotate",
  rollback: "roll back",
  revoke: "revoke",
  destroy: "destroy",
});

/** A cryptographic operation on a key version. */
export type KeyOperation =
  | "encrypt"
  | "decrypt"
  | "sign"
  | "verify"
  | "mac"
  | "mac_verify"
  | "encapsulate"
  | "decapsulate";

/**
 * The usage each operation needs, and whether it produces new protected data (refused
 * once a key is revoked) or consumes existing data (kept working on revoked keys so
 * data stays readable).
 */
const OPERATIONS: Readonly<Record<KeyOperation, { usage: Usage; producing: boolean }>> = Object
  .freeze({
    encrypt: { usage: "encrypt", producing: true },
    decrypt: { usage: "decrypt", producing: false },
    sign: { usage: "sign", producing: true },
    verify: { usage: "verify", producing: false },
    mac: { usage: "mac", producing: true },
    mac_verify: { usage: "mac", producing: false },
    encapsulate: { usage: "encapsulate", producing: true },
    decapsulate: { usage: "decapsulate", producing: false },
  });

/** True when a key in `state` may undergo `transition`. */
export function canTransition(state: KeyState, transition: KeyTransition): boolean {
  return TRANSITION_FROM[transition].includes(state);
}

/** @throws HsmError("invalid_state") unless `record` may undergo `transition` */
export function requireTransition(record: KeyRecord, transition: KeyTransition): void {
  if (!canTransition(record.state, transition)) {
    throw new HsmError(
      "invalid_state",
      `Cannot ${TRANSITION_VERB[transition]} key ${record.id}: it is ${record.state}`,
    );
  }
}

/**
 * Checks that `record` may be used for `operation` now (state, then the key's usages).
 * @throws HsmError("invalid_state") for a staged or destroyed key, or a revoked key
 * asked to produce; HsmError("invalid_request") when the key lacks the usage
 */
export function requireUsable(record: KeyRecord, operation: KeyOperation): void {
  const { usage, producing } = OPERATIONS[operation];
  if (record.state === "staged") {
    throw new HsmError(
      "invalid_state",
      `Cannot use key ${record.id}: it is staged awaiting approval`,
    );
  }
  if (record.state === "destroyed" || (producing && record.state === "revoked")) {
    throw new HsmError(
      "invalid_state",
      `Cannot ${usage} with key ${record.id}: it is ${record.state}`,
    );
  }
  if (!record.usage.includes(usage)) {
    throw new HsmError(
      "invalid_request",
      `Cannot ${usage} with key ${record.id}: its usage is ${record.usage.join(", ")}`,
    );
  }
}

/**
 * @throws HsmError("invalid_state") when the key's public half may not be served: the key
 * is destroyed, or staged (nobody approved it yet)
 */
export function requirePublicReadable(record: KeyRecord): void {
  if (record.state === "destroyed" || record.state === "staged") {
    throw new HsmError(
      "invalid_state",
      `Cannot read the public key of key ${record.id}: it is ${record.state}`,
    );
  }
}

/**
 * The version an operation uses: `requested`, or the current one when absent.
 * @throws HsmError("not_found") for a version the key does not have
 */
export function chooseVersion(record: KeyRecord, requested: number | undefined): number {
  if (requested === undefined) return record.currentVersion;
  if (!Number.isInteger(requested) || requested < 1 || requested > record.currentVersion) {
    throw new HsmError(
      "not_found",
      `Cannot use version ${requested} of key ${record.id}: latest version is ${record.currentVersion}`,
    );
  }
  return requested;
}

/**
 * Checks a rollback target: an earlier version of the key (rolling back to the current
 * one would change nothing) that is not retired by the key's minimum decryption version.
 * @throws HsmError("invalid_request") otherwise; ("invalid_state") for a retired version
 */
export function requireRollbackTarget(record: KeyRecord, target: number): void {
  if (!Number.isInteger(target) || target < 1 || target >= record.currentVersion) {
    throw new HsmError(
      "invalid_request",
      `Cannot roll back to version ${target}: latest version is ${record.currentVersion}`,
    );
  }
  const min = record.minDecryptionVersion ?? 1;
  if (target < min) {
    throw new HsmError(
      "invalid_state",
      `Cannot roll back to version ${target}: versions below ${min} are retired`,
    );
  }
}

/** The number of the version a rotation or rollback adds. */
export function nextVersion(record: KeyRecord): number {
  return record.currentVersion + 1;
}

/**
 * The state of one version: a version whose material retention wiped is purged; every
 * other version of a destroyed key is destroyed; the current version of a live,
 * unrevoked key is active; every other version is revoked.
 */
export function versionState(record: KeyRecord, version: SealedVersion): VersionState {
  if (version.purgedAt !== undefined) return "purged";
  if (record.state === "destroyed") return "destroyed";
  return record.state !== "revoked" && version.version === record.currentVersion
    ? "active"
    : "revoked";
}
