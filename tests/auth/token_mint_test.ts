import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { isHsmError } from "../../src/domain/errors.ts";
import { fromBase64Url } from "../../src/core/encoding.ts";
import { JwksKeyring } from "../../src/auth/jwks.ts";
import { JwtVerifier } from "../../src/auth/jwt.ts";
import type { Role } from "../../src/access/rbac.ts";
import { generateDevKeyset, mintToken } from "../../src/auth/token_mint.ts";
import { testKeys, writeKeyset } from "./_keys.ts";

const keys = await testKeys();
const NOW_MS = 1_700_000_000_000;
const clock = () => NOW_MS;
const signingKeyset = { keys: [keys.hs, keys.rsPrivate, keys.esPrivate] };

async function verifierFor(jwks: unknown, issuer?: string, audience?: string) {
  const keyring = await JwksKeyring.fromJwks(jwks, { clock });
  return new JwtVerifier(keyring, {
    clock,
    ...(issuer === undefined ? {} : { issuer }),
    ...(audience === undefined ? {} : { audience }),
  });
}

Deno.test("minted HS256, RS256 and ES256 tokens verify against the public keyset", async () => {
  const verifier = await verifierFor(
    { keys: [keys.hs, keys.rsPublic, keys.esPublic] },
    "iss",
    "aud",
  );
  const pairs: [string, string][] = [["hs-1", "HS256"], ["rs-1", "RS256"], ["es-1", "ES256"]];
  for (const [kid, alg] of pairs) {
    const token = await mintToken(signingKeyset, {
      sub: "ops",
      roles: ["Operator", "Auditor"],
      kid,
      issuer: "iss",
      audience: "aud",
      clock,
    });
    assert.deepEqual(decodeProtectedHeader(token), { alg, kid, typ: "JWT" });
    const principal = await verifier.verify(token);
    assert.equal(principal.sub, "ops");
    assert.deepEqual(principal.roles, ["Operator", "Auditor"]);
    assert.equal(principal.iat, NOW_MS / 1000);
    assert.equal(principal.exp, NOW_MS / 1000 + 300);
  }
});

Deno.test("the claims carry iat, exp, a random jti and the optional cnf thumbprint", async () => {
  const thumb = "x".repeat(43);
  const token = await mintToken(signingKeyset, {
    sub: "svc",
    roles: ["Service"],
    ttl: 60,
    cnfX5tS256: thumb,
    clock,
  });
  const claims = decodeJwt(token);
  assert.equal(claims.exp, (claims.iat as number) + 60);
  assert.match(claims.jti as string, /^[0-9a-f]{32}$/);
  assert.deepEqual(claims.cnf, { "x5t#S256": thumb });
  assert.equal(claims.iss, undefined);
  assert.equal(claims.aud, undefined);
  const again = decodeJwt(
    await mintToken(signingKeyset, { sub: "svc", roles: ["Service"], clock }),
  );
  assert.notEqual(again.jti, claims.jti);
});

Deno.test("without a kid the first key holding private material signs", async () => {
  const token = await mintToken({ keys: [keys.rsPublic, keys.esPrivate, keys.hs] }, {
    sub: "a",
    roles: ["Auditor"],
  });
  assert.equal(decodeProtectedHeader(token).kid, "es-1");
});

Deno.test("a keyset path is read from disk", async () => {
  const path = await writeKeyset({ keys: [keys.hs] });
  try {
    const token = await mintToken(path, { sub: "a", roles: ["Administrator"], clock });
    const verifier = await verifierFor({ keys: [keys.hs] });
    assert.deepEqual((await verifier.verify(token)).roles, ["Administrator"]);
  } finally {
    await Deno.remove(path);
  }
  await assert.rejects(
    mintToken("/nonexistent/jwks.json", { sub: "a", roles: ["Auditor"] }),
    (err: unknown) => isHsmError(err, "invalid_request"),
  );
});

const REFUSED: [string, { sub: string; roles: Role[]; ttl?: number }][] = [
  ["ttl 0", { sub: "a", roles: ["Operator"], ttl: 0 }],
  ["a negative ttl", { sub: "a", roles: ["Operator"], ttl: -5 }],
  ["ttl 301", { sub: "a", roles: ["Operator"], ttl: 301 }],
  ["a fractional ttl", { sub: "a", roles: ["Operator"], ttl: 1.5 }],
  ["an unknown role", { sub: "a", roles: ["Root" as Role] }],
  ["no roles", { sub: "a", roles: [] }],
  ["an empty sub", { sub: "", roles: ["Operator"] }],
];

for (const [what, options] of REFUSED) {
  Deno.test(`minting with ${what} is refused`, async () => {
    await assert.rejects(
      mintToken(signingKeyset, options),
      (err: unknown) =>
        isHsmError(err, "invalid_request") && /^Cannot mint token: /.test(err.message),
    );
  });
}

Deno.test("a keyset without private material cannot mint", async () => {
  await assert.rejects(
    mintToken({ keys: [keys.rsPublic, keys.esPublic] }, { sub: "a", roles: ["Operator"] }),
    (err: unknown) =>
      isHsmError(err, "invalid_request") && /no private signing material/.test(err.message),
  );
  await assert.rejects(
    mintToken(signingKeyset, { sub: "a", roles: ["Operator"], kid: "nope" }),
    /no private signing material for kid "nope"/,
  );
});

Deno.test("a dev keyset holds one fresh 32-byte HS256 secret", async () => {
  const a = generateDevKeyset();
  const b = generateDevKeyset();
  assert.equal(a.jwks.keys.length, 1);
  const key = a.jwks.keys[0] as Record<string, unknown>;
  assert.equal(key.kty, "oct");
  assert.equal(key.alg, "HS256");
  assert.equal(key.kid, a.kid);
  assert.equal(fromBase64Url(key.k as string)?.length, 32);
  assert.notEqual(a.kid, b.kid);
  assert.notEqual(key.k, (b.jwks.keys[0] as Record<string, unknown>).k);
  const token = await mintToken(a.jwks, { sub: "admin", roles: ["Administrator"], clock });
  assert.equal(decodeProtectedHeader(token).kid, a.kid);
  assert.equal((await (await verifierFor(a.jwks)).verify(token)).sub, "admin");
  await assert.rejects((await verifierFor(b.jwks)).verify(token));
});
