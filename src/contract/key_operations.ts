/**
 * The contract of the key operations (api.md § Key operations): BYOK import parameters
 * and import, data keys, rewrap, batch encrypt/decrypt/sign, JWKS and sign-jwt, and the
 * key settings change (`PATCH /keys/:id`). Batch items are validated one by one (each
 * with the single call's schema), so one malformed item becomes that item's error.
 */

import { z } from "zod";
import { ALGORITHM_NAMES, USAGE_NAMES } from "../domain/algorithms.ts";
import { HSM_ERROR_CODES } from "../domain/errors.ts";
import { JWS_ALGORITHMS } from "../core/jws.ts";
import { MAX_BATCH_ITEMS } from "../keys/batch_service.ts";
import { base64Bytes, base64Text, timestamp, versionNumber } from "./common.ts";
import { keyName, keyTags } from "./keys.ts";

/** `POST /keys/import-params` body. */
export const ImportParamsRequest = z.strictObject({ algorithm: z.enum(ALGORITHM_NAMES) });

/** `POST /keys/import-params` answer. */
export const ImportParamsResponse = z.strictObject({
  import_token: z.string(),
  wrapping_public_key_pem: z.string(),
  wrapping_algorithm: z.literal("RSA-OAEP-SHA256-AES-KWP"),
  expires_at: timestamp,
});

/** `POST /keys/import` body: `name` for a new key, or `key_id` to add a version. */
export const ImportKeyRequest = z.strictObject({
  name: keyName.optional(),
  algorithm: z.enum(ALGORITHM_NAMES),
  usage: z.array(z.enum(USAGE_NAMES)).max(USAGE_NAMES.length).optional(),
  tags: keyTags.optional(),
  import_token: z.string().min(1).max(128),
  /** RSA-OAEP-SHA256(AES-256 key) ‖ AES-KWP(material), base64. */
  wrapped_key: base64Bytes(64 * 1024),
  key_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "not an id").optional(),
});

/** `POST /keys/:id/datakey` body. */
export const DataKeyRequest = z.strictObject({
  bits: z.union([z.literal(128), z.literal(256)]).default(256),
  plaintext: z.boolean().default(true),
  aad: base64Bytes().optional(),
});

/** `POST /keys/:id/datakey` answer (`plaintext` only when asked). */
export const DataKeyResponse = z.strictObject({
  ciphertext: z.string(),
  plaintext: base64Text.optional(),
  version: versionNumber,
});

/** `POST /keys/:id/rewrap` body (`version` for a raw RSA-OAEP ciphertext). */
export const RewrapRequest = z.strictObject({
  ciphertext: z.string().min(1).max(1_500_000),
  aad: base64Bytes().optional(),
  version: versionNumber.optional(),
});

/** `POST /keys/:id/rewrap` answer. */
export const RewrapResponse = z.strictObject({ ciphertext: z.string(), version: versionNumber });

/** A batch body: 1–1000 items, each an object checked against the single call's schema. */
export const BatchRequest = z.strictObject({
  items: z.array(z.record(z.string(), z.unknown())).min(1).max(MAX_BATCH_ITEMS),
});

/** One failed item of a batch answer. */
export const BatchItemError = z.strictObject({
  error: z.strictObject({ code: z.enum(HSM_ERROR_CODES), message: z.string() }),
});

/** `encrypt/batch` answer. */
export const EncryptBatchResponse = z.strictObject({
  items: z.array(
    z.union([z.strictObject({ ciphertext: z.string(), version: versionNumber }), BatchItemError]),
  ),
});

/** `decrypt/batch` answer. */
export const DecryptBatchResponse = z.strictObject({
  items: z.array(
    z.union([z.strictObject({ plaintext: base64Text, version: versionNumber }), BatchItemError]),
  ),
});

/** `sign/batch` answer. */
export const SignBatchResponse = z.strictObject({
  items: z.array(
    z.union([z.strictObject({ signature: base64Text, version: versionNumber }), BatchItemError]),
  ),
});

/** `GET /keys/:id/jwks` answer: a JWK Set, each key with `kid` `<id>.<version>`. */
export const JwksResponse = z.strictObject({
  keys: z.array(z.looseObject({ kty: z.string(), kid: z.string() })),
});

/** `POST /keys/:id/sign-jwt` body: the claims, and optionally a JWS algorithm. */
export const SignJwtRequest = z.strictObject({
  claims: z.record(z.string(), z.unknown()),
  alg: z.enum(JWS_ALGORITHMS).optional(),
});

/** `POST /keys/:id/sign-jwt` answer. */
export const SignJwtResponse = z.strictObject({
  jwt: z.string(),
  kid: z.string(),
  alg: z.enum(JWS_ALGORITHMS),
  version: versionNumber,
});

/** `PATCH /keys/:id` body: at least one field; `rotation_period: null` removes it. */
export const UpdateKeyRequest = z.strictObject({
  rotation_period: z.string().max(64).nullable().optional(),
  min_decryption_version: versionNumber.optional(),
  tags: keyTags.optional(),
}).refine(
  (b) =>
    b.rotation_period !== undefined || b.min_decryption_version !== undefined ||
    b.tags !== undefined,
  "give at least one of rotation_period, min_decryption_version, tags",
);
