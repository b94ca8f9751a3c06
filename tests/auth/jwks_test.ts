import assert from "node:assert/strict";
import { isHsmError } from "../../src/domain/errors.ts";
import { concatBytes, fromBase64Url, toBase64Url } from "../../src/core/encoding.ts";
import { boundAlgorithm, importSigningKey, JwksKeyring } from "../../src/auth/jwks.ts";
import { testKeys, writeKeyset } from "./_keys.ts";

const keys = await testKeys();

function random(n: number): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(n)));
}

/** A fabricated RSA modulus of exactly `bits` bits (validation runs before import). */
function modulus(bits: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(bits / 8)));
  bytes[0] = 0x80 >> ((8 - (bits % 8)) % 8);
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) | 1;
  return toBase64Url(bytes);
}

async function assertInvalid(jwks: unknown, pattern: RegExp): Promise<void> {
  await assert.rejects(JwksKeyring.fromJwks(jwks), (err: unknown) => {
    assert.ok(isHsmError(err, "invalid_request"));
    assert.match(err.message, /^Invalid JWT keyset/);
    assert.match(err.message, pattern);
    return true;
  });
}

Deno.test("each key type is bound to exactly one algorithm", async () => {
  const keyring = await JwksKeyring.fromJwks({ keys: [keys.hs, keys.rsPublic, keys.esPublic] });
  assert.equal((await keyring.lookup("hs-1"))?.alg, "HS256");
  assert.equal((await keyring.lookup("rs-1"))?.alg, "RS256");
  assert.equal((await keyring.lookup("es-1"))?.alg, "ES256");
  assert.equal(await keyring.lookup("missing"), undefined);
  assert.equal(await keyring.lookup("__proto__"), undefined);
  assert.deepEqual(keyring.kids(), ["hs-1", "rs-1", "es-1"]);
  assert.equal(boundAlgorithm("OKP"), undefined);
});

Deno.test("verification keys are public-only and non-extractable for HMAC", async () => {
  const keyring = await JwksKeyring.fromJwks({ keys: [keys.hs, keys.rsPrivate, keys.esPrivate] });
  for (const kid of ["rs-1", "es-1"]) {
    const bound = await keyring.lookup(kid);
    assert.ok(bound?.key instanceof CryptoKey);
    assert.equal(bound.key.type, "public");
    assert.deepEqual(bound.key.usages, ["verify"]);
  }
  const hmac = await keyring.lookup("hs-1");
  assert.ok(hmac?.key instanceof CryptoKey);
  assert.equal(hmac.key.extractable, false);
  assert.deepEqual(hmac.key.usages, ["verify"]);
});

Deno.test("a keyset without a keys array or with a non-object key is rejected", async () => {
  await assertInvalid(null, /expected \{"keys": \[\.\.\.\]\}/);
  await assertInvalid([], /expected/);
  await assertInvalid({ keys: {} }, /expected/);
  await assertInvalid({ keys: [42] }, /key #1: not a JSON object/);
});

const INVALID_KEYS: [string, Record<string, unknown>, RegExp][] = [
  ["a missing kid", { kty: "oct", k: random(32) }, /kid must be/],
  ["an empty kid", { kty: "oct", kid: "", k: random(32) }, /kid must be/],
  ["an unsupported kty", { kty: "OKP", kid: "a", crv: "Ed25519", x: random(32) }, /kty "OKP"/],
  ["a missing kty", { kid: "a", k: random(32) }, /unsupported kty/],
  [
    "an alg that does not match",
    { kty: "oct", kid: "a", alg: "HS512", k: random(32) },
    /alg "HS512"/,
  ],
  ["alg none", { kty: "oct", kid: "a", alg: "none", k: random(32) }, /alg "none"/],
  ["an encryption key", { kty: "oct", kid: "a", use: "enc", k: random(32) }, /use must be "sig"/],
  [
    "key_ops without verify",
    { kty: "oct", kid: "a", key_ops: ["encrypt"], k: random(32) },
    /key_ops/,
  ],
  ["a short HMAC secret", { kty: "oct", kid: "a", k: random(31) }, /at least 32 bytes/],
  ["a padded secret", { kty: "oct", kid: "a", k: `${random(32)}=` }, /canonical/],
  ["a P-384 key", { kty: "EC", kid: "a", crv: "P-384", x: random(48), y: random(48) }, /P-256/],
  [
    "a short EC coordinate",
    { kty: "EC", kid: "a", crv: "P-256", x: random(31), y: random(32) },
    /x must be 32 bytes/,
  ],
  ["an RSA-1024 key", { kty: "RSA", kid: "a", n: modulus(1024), e: "AQAB" }, /at least 2048 bits/],
  ["an RSA-2047 key", { kty: "RSA", kid: "a", n: modulus(2047), e: "AQAB" }, /at least 2048 bits/],
  ["an even RSA exponent", { kty: "RSA", kid: "a", n: modulus(2048), e: "AQAA" }, /exponent/],
  ["RSA exponent 1", { kty: "RSA", kid: "a", n: modulus(2048), e: "AQ" }, /exponent/],
];

for (const [what, jwk, pattern] of INVALID_KEYS) {
  Deno.test(`a keyset with ${what} is rejected`, async () => {
    await assertInvalid({ keys: [keys.hs, jwk] }, /key #2/);
    await assertInvalid({ keys: [jwk] }, pattern);
  });
}

Deno.test("duplicate kids are rejected", async () => {
  await assertInvalid(
    { keys: [keys.hs, { ...keys.esPublic, kid: "hs-1" }] },
    /duplicate kid "hs-1"/,
  );
});

Deno.test("an EC point not on the curve is rejected", async () => {
  await assertInvalid(
    { keys: [{ kty: "EC", kid: "bad", crv: "P-256", x: random(32), y: random(32) }] },
    /kid "bad": EC point is not on curve P-256/,
  );
  const y = fromBase64Url(keys.esPublic.y as string) as Uint8Array;
  y[31] = (y[31] ?? 0) ^ 1;
  await assertInvalid({ keys: [{ ...keys.esPublic, y: toBase64Url(y) }] }, /not on curve/);
});

Deno.test("RSA strength is counted without leading zero octets", async () => {
  const n = fromBase64Url(keys.rsPublic.n as string) as Uint8Array;
  const padded = toBase64Url(concatBytes(new Uint8Array([0]), n));
  const keyring = await JwksKeyring.fromJwks({ keys: [{ ...keys.rsPublic, n: padded }] });
  assert.equal((await keyring.lookup("rs-1"))?.alg, "RS256");
  const short = toBase64Url(concatBytes(new Uint8Array(64), n.subarray(64)));
  await assertInvalid({ keys: [{ ...keys.rsPublic, n: short }] }, /at least 2048 bits/);
});

Deno.test("opening a missing or non-JSON file fails without echoing its content", async () => {
  await assert.rejects(
    JwksKeyring.open("/nonexistent/ferrohsm/jwks.json"),
    (err: unknown) => isHsmError(err, "invalid_request") && /file not found/.test(err.message),
  );
  const secret = random(32);
  const path = await writeKeyset("placeholder");
  try {
    await Deno.writeTextFile(path, `{"keys":[{"kty":"oct","k":"${secret}"`);
    await assert.rejects(JwksKeyring.open(path), (err: unknown) => {
      assert.ok(isHsmError(err, "invalid_request"));
      assert.match(err.message, /not valid JSON/);
      assert.ok(!err.message.includes(secret.slice(0, 10)));
      return true;
    });
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("the status reports source, kids and load time but never key material", async () => {
  const path = await writeKeyset({ keys: [keys.hs] });
  try {
    const keyring = await JwksKeyring.open(path, { clock: () => 42_000 });
    const status = keyring.status();
    assert.deepEqual(status, {
      source: path,
      kids: ["hs-1"],
      loadedAt: 42_000,
      reloads: 0,
      reloadFailures: 0,
      stale: false,
    });
    assert.ok(!JSON.stringify(status).includes(keys.hs.k as string));
    assert.deepEqual((await keyring.reload()).kids, ["hs-1"]);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a signing key is chosen by kid or as the first key with private material", async () => {
  const jwks = { keys: [keys.rsPublic, keys.esPrivate, keys.hs] };
  const first = await importSigningKey(jwks);
  assert.equal(first.kid, "es-1");
  assert.equal(first.alg, "ES256");
  assert.equal(first.key.type, "private");
  assert.equal(first.key.extractable, false);
  assert.equal((await importSigningKey(jwks, "hs-1")).alg, "HS256");
  await assert.rejects(
    importSigningKey(jwks, "rs-1"),
    /no private signing material for kid "rs-1"/,
  );
  await assert.rejects(importSigningKey({ keys: [keys.rsPublic] }), /for any key/);
  const signOnly = { ...keys.hs, key_ops: ["verify"] };
  await assert.rejects(importSigningKey({ keys: [signOnly] }), /key_ops does not allow "sign"/);
});
