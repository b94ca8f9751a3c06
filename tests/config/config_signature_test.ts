/**
 * Detached signatures of configuration files: Ed25519 and ES256 keys from PEM or JWK,
 * and every refusal (missing, malformed, another file's, another key's, another
 * algorithm's signature).
 */

import assert from "node:assert/strict";
import {
  importConfigKey,
  signConfig,
  verifyConfigSignature,
} from "../../src/config/config_signature.ts";
import { isHsmError } from "../../src/domain/errors.ts";
import { pemPair } from "./_keys.ts";

const FILE = new TextEncoder().encode('{"version":1,"roles":{"Administrator":["*"]}}\n');

function refused(pattern: RegExp) {
  return (err: unknown) => isHsmError(err, "invalid_request") && pattern.test(err.message);
}

for (const alg of ["Ed25519", "ES256"] as const) {
  Deno.test(`an ${alg} signature made from PEM verifies, and only over the same bytes`, async () => {
    const { priv, pub } = await pemPair(alg);
    const signer = await importConfigKey(priv, "sign");
    assert.equal(signer.alg, alg);
    const sig = await signConfig(FILE, signer);
    const verifier = await importConfigKey(pub, "verify");
    await verifyConfigSignature(FILE, sig, verifier, "rbac.json");
    const edited = new TextEncoder().encode('{"version":1,"roles":{"Service":["*"]}}\n');
    await assert.rejects(
      verifyConfigSignature(edited, sig, verifier, "rbac.json"),
      refused(/rbac\.json does not match its signature/),
    );
    const other = await importConfigKey((await pemPair(alg)).pub, "verify");
    await assert.rejects(
      verifyConfigSignature(FILE, sig, other, "rbac.json"),
      refused(/does not match/),
    );
  });
}

Deno.test("JWK keys work too; a signature by another algorithm is named as such", async () => {
  const pair = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const jwkPriv = await crypto.subtle.exportKey("jwk", pair.privateKey);
  const signer = await importConfigKey(JSON.stringify(jwkPriv), "sign");
  const sig = await signConfig(FILE, signer);
  // A private JWK works as the public key too (its private part is dropped).
  await verifyConfigSignature(
    FILE,
    sig,
    await importConfigKey(JSON.stringify(jwkPriv), "verify"),
    "f",
  );
  const ed = await importConfigKey((await pemPair("Ed25519")).pub, "verify");
  await assert.rejects(verifyConfigSignature(FILE, sig, ed, "f"), refused(/signed with ES256/));
});

Deno.test("missing and malformed signatures are refused", async () => {
  const { pub } = await pemPair("Ed25519");
  const key = await importConfigKey(pub, "verify");
  await assert.rejects(
    verifyConfigSignature(FILE, undefined, key, "f"),
    refused(/f\.sig is missing/),
  );
  await assert.rejects(verifyConfigSignature(FILE, "nope", key, "f"), refused(/not JSON/));
  await assert.rejects(verifyConfigSignature(FILE, "{}", key, "f"), refused(/malformed/));
  await assert.rejects(importConfigKey("garbage", "verify"), refused(/PEM PUBLIC KEY or a JWK/));
  await assert.rejects(
    importConfigKey('{"kty":"RSA","n":"AA","e":"AQAB"}', "verify"),
    refused(/not Ed25519 or P-256/),
  );
});
