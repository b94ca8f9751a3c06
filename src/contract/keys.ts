/**
 * The contract of `/api/v1/keys` lifecycle endpoints: request bodies and queries with
 * their limits, the key object, pages, versions, public keys, and the 202 answer of a
 * change held for approval.
 */

import { z } from "zod";
import { ALGORITHM_NAMES, USAGE_NAMES } from "../domain/algorithms.ts";
import { KEY_ORIGINS, KEY_STATES, VERSION_STATES } from "../domain/records.ts";
import { Approval } from "./approvals.ts";
import { base64Text, timestamp, versionNumber } from "./common.ts";
import { hasControlCharacters } from "./text.ts";

/** Key names: letters, digits, space and `._:/@-`, 1–128 characters. */
export const keyName = z.string().min(1).max(128).regex(
  /^[\p{L}\p{N} ._:/@-]+$/u,
  "unsupported characters",
);

/**
 * Tags: at most 32, keys `[A-Za-z0-9_.-]{1,64}`, values up to 256 characters without
 * control characters (C0, DEL, C1, bidi controls; see `text.ts`).
 */
export const keyTags = z.record(
  z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, "tag keys are [A-Za-z0-9_.-]"),
  z.string().max(256).refine(
    (value) => !hasControlCharacters(value),
    "tag values must not contain control characters",
  ),
).refine((t) => Object.keys(t).length <= 32, "at most 32 tags").meta({ maxProperties: 32 });

/** Retention class names: `[A-Za-z0-9_.-]{1,64}`. */
export const retentionClassName = z.string().regex(
  /^[A-Za-z0-9_.-]{1,64}$/,
  "retention classes are [A-Za-z0-9_.-]{1,64}",
);

/** `POST /api/v1/keys` body. */
export const CreateKeyRequest = z.strictObject({
  name: keyName,
  algorithm: z.enum(ALGORITHM_NAMES),
  usage: z.array(z.enum(USAGE_NAMES)).max(USAGE_NAMES.length).optional(),
  tags: keyTags.optional(),
  dual_control: z.boolean().optional(),
  /** A retention class of `config/retention.yaml` (default: its default class). */
  retention_class: retentionClassName.optional(),
});

/** `GET /api/v1/keys` query. */
export const ListKeysQuery = z.strictObject({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(20),
  algorithm: z.enum(ALGORITHM_NAMES).optional(),
  state: z.enum(KEY_STATES).optional(),
  tag: z.string().regex(/^[^:]+:.*$/, "expected k:v").optional(),
});

/** `GET /api/v1/keys/:id/public` query. */
export const PublicKeyQuery = z.strictObject({
  version: z.coerce.number().int().min(1).optional(),
});

/** `POST /api/v1/keys/:id/rollback` body. */
export const RollbackRequest = z.strictObject({ version: versionNumber });

/** The key object; never any private or secret material. */
export const Key = z.strictObject({
  id: z.string(),
  name: z.string(),
  algorithm: z.enum(ALGORITHM_NAMES),
  usage: z.array(z.enum(USAGE_NAMES)),
  tags: z.record(z.string(), z.string()),
  state: z.enum(KEY_STATES),
  current_version: versionNumber,
  dual_control: z.boolean(),
  created_at: timestamp,
  updated_at: timestamp,
  /** `imported` for BYOK keys, `generated` otherwise. */
  origin: z.enum(KEY_ORIGINS).optional(),
  /** ISO 8601 duration after which the scheduler rotates the key. */
  rotation_period: z.string().optional(),
  /** Versions below it are refused for decrypt, verify, MAC verify and decapsulate. */
  min_decryption_version: versionNumber.optional(),
  /** Present when the key was given a retention class. */
  retention_class: z.string().optional(),
});

/** A key created under dual control: staged, with its activation approval (202). */
export const StagedKey = z.strictObject({ key: Key, approval: Approval });

/** A page of keys. */
export const KeyPage = z.strictObject({
  items: z.array(Key),
  page: z.number().int().min(1),
  per_page: z.number().int().min(1),
  total: z.number().int().min(0),
});

/** One version of a key. */
export const KeyVersion = z.strictObject({
  version: versionNumber,
  state: z.enum(VERSION_STATES),
  created_at: timestamp,
  source_version: versionNumber.optional(),
  /** Operations this version performed (usage counters, flushed periodically). */
  operations: z.number().int().min(0).optional(),
  /** When retention wiped this version's sealed material (state `purged`). */
  purged_at: timestamp.optional(),
});

/** `GET /api/v1/keys/:id/versions` answer. */
export const KeyVersionList = z.strictObject({ items: z.array(KeyVersion) });

/** One component of a hybrid or composite public key. */
export const PublicKeyComponent = z.strictObject({
  algorithm: z.string(),
  pem: z.string(),
  jwk: z.record(z.string(), z.unknown()),
  raw: base64Text,
});

/**
 * The public half of a key version: SPKI PEM and JWK; `raw` (base64) for post-quantum,
 * hybrid and composite keys; `components` for hybrid and composite keys.
 */
export const PublicKey = z.strictObject({
  version: versionNumber,
  pem: z.string(),
  jwk: z.record(z.string(), z.unknown()),
  raw: base64Text.optional(),
  components: z.array(PublicKeyComponent).optional(),
});

/** The key object as clients read it. */
export type KeyJson = z.output<typeof Key>;
/** A page of keys as clients read it. */
export type KeyPageJson = z.output<typeof KeyPage>;
/** One version as clients read it. */
export type KeyVersionJson = z.output<typeof KeyVersion>;
/** A staged key and its approval as clients read them. */
export type StagedKeyJson = z.output<typeof StagedKey>;
/** A public key as clients read it. */
export type PublicKeyJson = z.output<typeof PublicKey>;
