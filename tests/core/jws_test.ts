/**
 * JOSE for stored keys: the JWS algorithm table, refusals, and JWTs signed through the
 * providers with `jwsSignOptions` that `jose` verifies against the JWKS entry of the
 * same key (ES256, ES384, RS256/384/512, PS256/384/512, EdDSA).
 */

import assert from "node:assert/strict";
import { createLocalJWKSet, jwtVerify } from "jose";
import {
  chooseJwsAlgorithm,
  compactJws,
  jwksEntry,
  type JwsAlgorithm,
  jwsAlgorithmsFor,
  jwsSignOptions,
  jwtSigningInput,
  versionKid,
} from "../../src/core/jws.ts";
import { utf8 } from "../../src/core/encoding.ts";
import { providerFor } from "../../src/core/providers/index.ts";
import type { Algorithm } from "../../src/domain/algorithms.ts";
import { isHsmError } from "../../src/domain/errors.ts";

Deno.test("each key algorithm maps to its JWS algorithms, default first", () => {
  assert.deepEqual(jwsAlgorithmsFor("EC-P256"), ["ES256"]);
  assert.deepEqual(jwsAlgorithmsFor("EC-P384"), ["ES384"]);
  assert.deepEqual(jwsAlgorithmsFor("Ed25519"), ["EdDSA"]);
  assert.deepEqual(jwsAlgorithmsFor("RSA-3072"), [
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
  ]);
  assert.deepEqual(jwsAlgorithmsFor("ML-DSA-65"), []);
  assert.equal(chooseJwsAlgorithm("RSA-2048"), "RS256");
  assert.equal(chooseJwsAlgorithm("RSA-2048", "PS256"), "PS256");
});

Deno.test("a JWS algorithm the key cannot sign with is refused", () => {
  const cases: [Algorithm, string | undefined][] = [
    ["EC-P256", "ES384"],
    ["EC-P256", "RS256"],
    ["Ed25519", "ES256"],
    ["RSA-2048", "none"],
    ["RSA-2048", "__proto__"],
    ["ML-DSA-65", undefined],
    ["AES-256-GCM", undefined],
  ];
  for (const [algorithm, requested] of cases) {
    assert.throws(
      () => chooseJwsAlgorithm(algorithm, requested),
      (e) => isHsmError(e, "invalid_request"),
      `${algorithm} ${requested}`,
    );
  }
});

Deno.test("JWKS entries carry kid, use and alg where one JWS algorithm fits", () => {
  const jwk = { kty: "EC", crv: "P-256", x: "x", y: "y" };
  assert.deepEqual(jwksEntry("EC-P256", ["sign", "verify"], jwk, "k.2"), {
    ...jwk,
    kid: "k.2",
    use: "sig",
    alg: "ES256",
  });
  const rsa = { kty: "RSA", n: "n", e: "AQAB" };
  assert.deepEqual(jwksEntry("RSA-2048", ["sign"], rsa, "r.1"), { ...rsa, kid: "r.1", use: "sig" });
  assert.deepEqual(jwksEntry("RSA-2048", ["encrypt", "decrypt"], rsa, "r.1"), {
    ...rsa,
    kid: "r.1",
    use: "enc",
  });
  assert.deepEqual(jwksEntry("RSA-2048", ["sign", "decrypt"], rsa, "r.1"), { ...rsa, kid: "r.1" });
  assert.equal(versionKid("abc", 7), "abc.7");
});

const CASES: [Algorithm, JwsAlgorithm][] = [
  ["EC-P256", "ES256"],
  ["EC-P384", "ES384"],
  ["Ed25519", "EdDSA"],
  ["RSA-2048", "RS256"],
  ["RSA-2048", "RS384"],
  ["RSA-2048", "RS512"],
  ["RSA-2048", "PS256"],
  ["RSA-2048", "PS384"],
  ["RSA-2048", "PS512"],
];

Deno.test("JWTs signed through the providers verify with jose against the JWKS entry", async () => {
  const loaded = new Map<Algorithm, Awaited<ReturnType<ReturnType<typeof providerFor>["load"]>>>();
  try {
    for (const [algorithm, alg] of CASES) {
      let key = loaded.get(algorithm);
      if (key === undefined) {
        const provider = providerFor(algorithm);
        key = await provider.load(algorithm, await provider.generate(algorithm));
        loaded.set(algorithm, key);
      }
      const kid = versionKid("key-1", 3);
      const claims = { sub: "alice", aud: "relying-party", iat: 1_700_000_000, nested: { a: [1] } };
      const input = jwtSigningInput(alg, kid, claims);
      const signature = await key.sign?.(utf8(input), jwsSignOptions(alg));
      assert.ok(signature !== undefined);
      const jwt = compactJws(input, signature);
      const pub = key.publicKey?.();
      assert.ok(pub !== undefined);
      const jwks = createLocalJWKSet({
        keys: [jwksEntry(algorithm, ["sign", "verify"], pub.jwk, kid) as never],
      });
      const { payload, protectedHeader } = await jwtVerify(jwt, jwks, {
        algorithms: [alg],
        audience: "relying-party",
      });
      assert.deepEqual(payload, claims, `${algorithm} ${alg}`);
      assert.deepEqual(protectedHeader, { alg, typ: "JWT", kid });
      const tampered = jwt.slice(0, -4) + (jwt.endsWith("AAAA") ? "BBBB" : "AAAA");
      await assert.rejects(jwtVerify(tampered, jwks, { algorithms: [alg] }));
    }
  } finally {
    for (const key of loaded.values()) key.dispose();
  }
});
