import assert from "node:assert/strict";
import { algorithmInfo } from "../../src/core/algorithms.ts";
import { isHsmError } from "../../src/domain/errors.ts";
import {
  TRANSIT_KEY_TYPES,
  transitHash,
  transitKeyType,
  typeOfAlgorithm,
} from "../../src/transit/key_types.ts";

Deno.test("every Transit key type maps to a FerroHSM algorithm and back", () => {
  assert.deepEqual([...TRANSIT_KEY_TYPES].sort(), [
    "aes256-gcm96",
    "ecdsa-p256",
    "ecdsa-p384",
    "ed25519",
    "hmac",
    "rsa-2048",
    "rsa-3072",
    "rsa-4096",
  ]);
  for (const type of TRANSIT_KEY_TYPES) {
    const info = transitKeyType(type);
    assert.equal(typeOfAlgorithm(info.algorithm).type, type);
    const allowed = algorithmInfo(info.algorithm)?.usages ?? [];
    assert.ok(info.usages.every((u) => allowed.includes(u)), type);
    assert.equal(info.publicKeyFormat !== undefined, algorithmInfo(info.algorithm)?.asymmetric);
  }
});

Deno.test("unknown types, inherited names and algorithms without a type are refused", () => {
  for (const bad of ["chacha20-poly1305", "ecdsa-p521", "__proto__", "toString", 3]) {
    assert.throws(() => transitKeyType(bad), (e) => isHsmError(e, "invalid_request"));
  }
  assert.throws(() => typeOfAlgorithm("ML-DSA-65"), (e) => isHsmError(e, "invalid_request"));
});

Deno.test("hash names map to SHA-2; sha2-256 by default; others are refused", () => {
  assert.equal(transitHash(undefined), "SHA-256");
  assert.equal(transitHash("sha2-384"), "SHA-384");
  assert.equal(transitHash("sha2-512"), "SHA-512");
  for (const bad of ["sha1", "sha2-224", "sha3-256", "none", "SHA-256"]) {
    assert.throws(() => transitHash(bad), (e) => isHsmError(e, "invalid_request"));
  }
});
