import assert from "node:assert/strict";
import { type Algorithm, ALGORITHM_NAMES } from "../../../src/domain/algorithms.ts";
import { aesGcmProvider } from "../../../src/core/providers/aes_gcm.ts";
import { compositeSigProvider } from "../../../src/core/providers/composite_sig.ts";
import { ecdsaProvider } from "../../../src/core/providers/ecdsa.ts";
import { ed25519Provider } from "../../../src/core/providers/ed25519.ts";
import { hmacProvider } from "../../../src/core/providers/hmac.ts";
import { hybridKemProvider } from "../../../src/core/providers/hybrid_kem.ts";
import { providerFor } from "../../../src/core/providers/index.ts";
import { mlDsaProvider } from "../../../src/core/providers/ml_dsa.ts";
import { mlKemProvider } from "../../../src/core/providers/ml_kem.ts";
import { rsaProvider } from "../../../src/core/providers/rsa.ts";
import { slhDsaProvider } from "../../../src/core/providers/slh_dsa.ts";

Deno.test("providerFor maps every algorithm to the provider of its family", () => {
  const expected: Record<Algorithm, unknown> = {
    "AES-256-GCM": aesGcmProvider,
    "HMAC-SHA256": hmacProvider,
    "RSA-2048": rsaProvider,
    "RSA-3072": rsaProvider,
    "RSA-4096": rsaProvider,
    "EC-P256": ecdsaProvider,
    "EC-P384": ecdsaProvider,
    "Ed25519": ed25519Provider,
    "ML-KEM-512": mlKemProvider,
    "ML-KEM-768": mlKemProvider,
    "ML-KEM-1024": mlKemProvider,
    "ML-DSA-44": mlDsaProvider,
    "ML-DSA-65": mlDsaProvider,
    "ML-DSA-87": mlDsaProvider,
    "ML-KEM-768-X25519": hybridKemProvider,
    "ML-KEM-768-P256": hybridKemProvider,
    "ML-KEM-1024-P384": hybridKemProvider,
    "SLH-DSA-SHA2-128s": slhDsaProvider,
    "SLH-DSA-SHAKE-128f": slhDsaProvider,
    "SLH-DSA-SHA2-256s": slhDsaProvider,
    "ML-DSA-65-EC-P256": compositeSigProvider,
    "ML-DSA-87-EC-P384": compositeSigProvider,
  };
  for (const name of ALGORITHM_NAMES) assert.equal(providerFor(name), expected[name], name);
});

Deno.test("providerFor refuses names outside the registry", () => {
  for (const name of ["AES-128-GCM", "__proto__", "toString", ""]) {
    assert.throws(() => providerFor(name as Algorithm), RangeError, name);
  }
});

Deno.test("every classical algorithm generates material that its provider loads", async () => {
  for (
    const name of [
      "AES-256-GCM",
      "HMAC-SHA256",
      "RSA-2048",
      "EC-P256",
      "EC-P384",
      "Ed25519",
    ] as const
  ) {
    const provider = providerFor(name);
    const key = await provider.load(name, await provider.generate(name));
    assert.equal(key.algorithm, name);
    key.dispose();
  }
});
