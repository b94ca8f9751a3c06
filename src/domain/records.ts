/**
 * The domain's records: keys, sealed versions and dual-control approvals as every layer
 * sees them. Plain data (no behaviour, no I/O); stores persist them, services change
 * them under the rules in `key_lifecycle.ts`, the transport renders them. A record never
 * holds key material: a sealed version holds only ciphertext and integrity tags.
 */

import type { Algorithm, Usage } from "./algorithms.ts";
import type { ApprovableAction } from "./approvals.ts";

/** Every lifecycle state of a key. */
export const KEY_STATES = ["staged", "active", "revoked", "destroyed"] as const;

/** Lifecycle state of a key. */
export type KeyState = typeof KEY_STATES[number];

/**
 * Per-version state: the current version is `active`, earlier ones `revoked`; a version
 * whose sealed material retention wiped for good is `purged`.
 */
export const VERSION_STATES = ["active", "revoked", "destroyed", "purged"] as const;

/** Per-version state. */
export type VersionState = typeof VERSION_STATES[number];

/** Where a key's material came from: generated here, or imported (BYOK). */
export const KEY_ORIGINS = ["generated", "imported"] as const;

/** Where a key's material came from. */
export type KeyOrigin = typeof KEY_ORIGINS[number];

/** A key's metadata, as stored. Never holds key material. */
export interface KeyRecord {
  readonly id: string;
  readonly name: string;
  readonly algorithm: Algorithm;
  readonly usage: readonly Usage[];
  readonly tags: Readonly<Record<string, string>>;
  readonly state: KeyState;
  readonly currentVersion: number;
  readonly dualControl: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Where the material came from; absent means `generated` (records written before). */
  readonly origin?: KeyOrigin;
  /** ISO 8601 duration (e.g. `P90D`) after which the scheduler rotates the key. */
  readonly rotationPeriod?: string;
  /** Versions below this one are refused for decrypt, verify, MAC verify, decapsulate. */
  readonly minDecryptionVersion?: number;
  /** Incremented by every write; the optimistic-concurrency token. Starts at 1. */
  readonly revision: number;
  /** HMAC-SHA-384 (base64) over the record's canonical form; detects edits at rest. */
  readonly mac: string;
  /** The retention class (`config/retention.yaml`); absent means the default class. */
  readonly retentionClass?: string;
}

/**
 * One sealed key version: `version ‖ algorithm ‖ usage ‖ ciphertext ‖ nonce ‖ mac`.
 * `ciphertext` is the material under AES-256-GCM with the master key; `mac` is
 * HMAC-SHA-384 under the HMAC key over every other field and the key id.
 */
export interface SealedVersion {
  readonly keyId: string;
  readonly version: number;
  readonly algorithm: Algorithm;
  readonly usage: readonly Usage[];
  readonly createdAt: string;
  /** For rollback generations: the version whose material this one holds. */
  readonly sourceVersion?: number;
  /**
   * When retention wiped this version's sealed material for good (ISO 8601). A purged
   * version is a metadata stub: `nonce`, `ciphertext` and `mac` are empty.
   */
  readonly purgedAt?: string;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly mac: Uint8Array;
}

/** Every state of a dual-control request. */
export const APPROVAL_STATES = ["pending", "approved", "denied", "executed", "expired"] as const;

/** State of a dual-control request. */
export type ApprovalState = typeof APPROVAL_STATES[number];

/** A dual-control request as stored. */
export interface ApprovalRecord {
  readonly id: string;
  readonly action: ApprovableAction;
  readonly keyId: string | null;
  readonly requestedBy: string;
  readonly approvals: readonly { readonly actor: string; readonly at: string }[];
  readonly quorum: number;
  readonly state: ApprovalState;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** Action parameters needed to execute it later (never key material). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly revision: number;
  /** HMAC-SHA-384 (base64) over every other field; an edited row never executes. */
  readonly mac: string;
}
