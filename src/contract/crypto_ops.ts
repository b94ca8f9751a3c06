/**
 * The contract of the cryptographic operations under `/api/v1/keys/:id/`: request
 * bodies (binary fields as standard base64, decoded by the schemas) and answers, each
 * tagged with the key version used.
 */

import { z } from "zod";
import { base64Bytes, base64Text, versionNumber } from "./common.ts";

/** `encrypt` body. */
export const EncryptRequest = z.strictObject({
  plaintext: base64Bytes(),
  aad: base64Bytes().optional(),
});

/** `decrypt` body: an `fhsm:v<N>:` string or base64 (RSA-OAEP). */
export const DecryptRequest = z.strictObject({
  ciphertext: z.string().min(1).max(1_500_000),
  aad: base64Bytes().optional(),
  version: versionNumber.optional(),
});

const signFields = {
  message: base64Bytes().optional(),
  digest: base64Bytes(64).optional(),
  hash: z.enum(["SHA-256", "SHA-384", "SHA-512"]).optional(),
  padding: z.enum(["pkcs1", "pss"]).optional(),
  signature_format: z.enum(["der", "raw"]).optional(),
  /** ML-DSA, SLH-DSA and composite signing context (base64, ≤ 255 bytes; default empty). */
  context: base64Bytes(255).optional(),
  /** `SHA-512`: the pre-hash variant (HashML-DSA); `digest` is then the SHA-512 digest. */
  prehash: z.enum(["SHA-512"]).optional(),
};

/** `sign` body: exactly one of `message` or `digest`. */
export const SignRequest = z.strictObject(signFields);

/** `verify` body. */
export const VerifyRequest = z.strictObject({
  ...signFields,
  signature: base64Bytes(64 * 1024), // SLH-DSA-SHA2-256s signatures are 29 792 bytes
  version: versionNumber.optional(),
});

/** `mac` body. */
export const MacRequest = z.strictObject({ message: base64Bytes() });

/** `mac/verify` body. */
export const MacVerifyRequest = z.strictObject({
  message: base64Bytes(),
  mac: base64Bytes(1024),
  version: versionNumber.optional(),
});

/** `decapsulate` body. */
export const DecapsulateRequest = z.strictObject({
  ciphertext: base64Bytes(16 * 1024),
  version: versionNumber.optional(),
});

/** `encrypt` answer. */
export const EncryptResponse = z.strictObject({ ciphertext: z.string(), version: versionNumber });
/** `decrypt` answer. */
export const DecryptResponse = z.strictObject({ plaintext: base64Text, version: versionNumber });
/** `sign` answer. */
export const SignResponse = z.strictObject({ signature: base64Text, version: versionNumber });
/** `verify` and `mac/verify` answer. */
export const ValidityResponse = z.strictObject({ valid: z.boolean(), version: versionNumber });
/** `mac` answer. */
export const MacResponse = z.strictObject({ mac: base64Text, version: versionNumber });
/** `encapsulate` answer. */
export const EncapsulateResponse = z.strictObject({
  ciphertext: base64Text,
  shared_secret: base64Text,
  version: versionNumber,
});
/** `decapsulate` answer. */
export const DecapsulateResponse = z.strictObject({
  shared_secret: base64Text,
  version: versionNumber,
});

/** A `sign` body after validation. */
export type SignBody = z.output<typeof SignRequest>;
