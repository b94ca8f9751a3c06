import assert from "node:assert/strict";
import { exportSPKI, importJWK, type JWK, SignJWT } from "jose";
import { HsmError } from "../../src/domain/errors.ts";
import { fromBase64Url, toBase64Url, utf8 } from "../../src/core/encoding.ts";
import { JwksKeyring } from "../../src/auth/jwks.ts";
import {
  JwtFailure,
  type JwtFailureReason,
  JwtVerifier,
  MAX_TOKEN_LENGTH,
  UNAUTHENTICATED_MESSAGE,
} from "../../src/auth/jwt.ts";
import { rewriteKeyset, testKeys, writeKeyset } from "./_keys.ts";

const ISS = "ferrohsm-test";
const AUD = "ferrohsm";
const NOW = 1_700_000_000; // seconds

const keys = await testKeys();
const fullKeyset = { keys: [keys.hs, keys.rsPublic, keys.esPublic] };

/** A verifier over the three test keys with a settable clock (epoch seconds). */
async function setup(options: { issuer?: boolean; audience?: boolean } = {}) {
  let nowMs = NOW * 1000;
  const clock = () => nowMs;
  const keyring = await JwksKeyring.fromJwks(fullKeyset, { clock });
  const verifier = new JwtVerifier(keyring, {
    ...(options.issuer === false ? {} : { issuer: ISS }),
    ...(options.audience === false ? {} : { audience: AUD }),
    clock,
  });
  return { verifier, keyring, setNow: (s: number) => void (nowMs = s * 1000) };
}

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    sub: "alice",
    roles: ["Operator"],
    iss: ISS,
    aud: AUD,
    iat: NOW,
    exp: NOW + 300,
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base;
}

/** Signs with jose and one of the test keys (its bound alg unless `alg` says otherwise). */
async function sign(
  which: "hs" | "rs" | "es",
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  const jwk: JWK = which === "hs" ? keys.hs : which === "rs" ? keys.rsPrivate : keys.esPrivate;
  const alg = jwk.alg as string;
  const key = await importJWK(jwk, alg);
  return await new SignJWT(payload)
    .setProtectedHeader({ alg, kid: jwk.kid as string, typ: "JWT", ...header })
    .sign(key);
}

/** Builds an HS256-signed token from arbitrary header/payload JSON, bypassing jose's checks. */
async function rawHs(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: Uint8Array = fromBase64Url(keys.hs.k as string) as Uint8Array,
): Promise<string> {
  const input = `${b64json(header)}.${b64json(payload)}`;
  const key = await crypto.subtle.importKey(
    "raw",
    secret as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, utf8(input) as Uint8Array<ArrayBuffer>);
  return `${input}.${toBase64Url(new Uint8Array(mac))}`;
}

function b64json(value: unknown): string {
  return toBase64Url(utf8(JSON.stringify(value)));
}

/** Asserts the uniform failure: same code, same message, and the expected metrics reason. */
async function assertRefused(
  verifier: JwtVerifier,
  token: string,
  reason: JwtFailureReason,
): Promise<void> {
  await assert.rejects(verifier.verify(token), (err: unknown) => {
    assert.ok(err instanceof HsmError);
    assert.ok(err instanceof JwtFailure);
    assert.equal(err.code, "unauthenticated");
    assert.equal(err.message, UNAUTHENTICATED_MESSAGE);
    assert.equal(err.reason, reason);
    return true;
  });
}

Deno.test("valid HS256, RS256 and ES256 tokens are accepted", async () => {
  const { verifier } = await setup();
  for (const which of ["hs", "rs", "es"] as const) {
    const token = await sign(which, claims({ roles: ["Service", "Auditor", "Service"] }));
    const principal = await verifier.verify(token);
    assert.equal(principal.sub, "alice");
    assert.deepEqual(principal.roles, ["Service", "Auditor"]);
    assert.equal(principal.iat, NOW);
    assert.equal(principal.exp, NOW + 300);
    assert.match(principal.tokenId, /^[0-9a-f]{64}$/);
    assert.equal(principal.cnfX5tS256, undefined);
    assert.ok(Object.isFrozen(principal) && Object.isFrozen(principal.roles));
  }
});

Deno.test("the tokenId is the hex SHA-256 of the token", async () => {
  const { verifier } = await setup();
  const token = await sign("hs", claims());
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", utf8(token) as Uint8Array<ArrayBuffer>),
  );
  const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal((await verifier.verify(token)).tokenId, hex);
});

Deno.test("a cnf x5t#S256 thumbprint is carried into the principal", async () => {
  const { verifier } = await setup();
  const thumb = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  const token = await sign("es", claims({ cnf: { "x5t#S256": thumb } }));
  assert.equal((await verifier.verify(token)).cnfX5tS256, thumb);
  await assertRefused(
    verifier,
    await sign("es", claims({ cnf: { "x5t#S256": "abc" } })),
    "malformed",
  );
  await assertRefused(verifier, await sign("es", claims({ cnf: "x" })), "malformed");
});

Deno.test("alg none is refused with or without a signature", async () => {
  const { verifier } = await setup();
  const unsigned = `${b64json({ alg: "none", kid: "hs-1" })}.${b64json(claims())}.`;
  await assertRefused(verifier, unsigned, "malformed");
  await assertRefused(verifier, `${unsigned}AAAA`, "alg_mismatch");
  const noKid = `${b64json({ alg: "none" })}.${b64json(claims())}.AAAA`;
  await assertRefused(verifier, noKid, "unknown_kid");
});

Deno.test("an HS256 token keyed with the RSA public key's bytes is refused (key confusion)", async () => {
  const { verifier } = await setup();
  const rsaPublic = await importJWK(keys.rsPublic, "RS256");
  const pem = utf8(await exportSPKI(rsaPublic as CryptoKey));
  const jwkBytes = utf8(JSON.stringify(keys.rsPublic));
  for (const secret of [pem, jwkBytes, fromBase64Url(keys.rsPublic.n as string) as Uint8Array]) {
    const token = await rawHs({ alg: "HS256", kid: "rs-1", typ: "JWT" }, claims(), secret);
    await assertRefused(verifier, token, "alg_mismatch");
  }
  // The same attack against the EC key, and a header alg swap between asymmetric keys.
  const ecBytes = utf8(JSON.stringify(keys.esPublic));
  await assertRefused(
    verifier,
    await rawHs({ alg: "HS256", kid: "es-1" }, claims(), ecBytes),
    "alg_mismatch",
  );
  await assertRefused(verifier, await sign("rs", claims(), { kid: "es-1" }), "alg_mismatch");
});

Deno.test("an unknown kid is refused", async () => {
  const { verifier } = await setup();
  await assertRefused(verifier, await sign("hs", claims(), { kid: "nope" }), "unknown_kid");
  await assertRefused(verifier, await sign("hs", claims(), { kid: "__proto__" }), "unknown_kid");
});

Deno.test("an expired token is refused once past the clock skew", async () => {
  const { verifier, setNow } = await setup();
  const token = await sign("hs", claims({ iat: NOW - 100, exp: NOW - 40 }));
  await assertRefused(verifier, token, "expired");
  const recent = await sign("hs", claims({ iat: NOW - 100, exp: NOW - 20 }));
  assert.equal((await verifier.verify(recent)).sub, "alice"); // within the 30 s skew
  setNow(NOW + 11);
  const fresh = await sign("rs", claims({ iat: NOW - 100, exp: NOW - 20 }));
  await assertRefused(verifier, fresh, "expired");
});

Deno.test("a token issued or valid only in the future is refused beyond the skew", async () => {
  const { verifier } = await setup();
  const futureIat = await sign("hs", claims({ iat: NOW + 60, exp: NOW + 300 }));
  await assertRefused(verifier, futureIat, "not_yet_valid");
  const futureNbf = await sign("hs", claims({ nbf: NOW + 60 }));
  await assertRefused(verifier, futureNbf, "not_yet_valid");
  const slightlyAhead = await sign("hs", claims({ iat: NOW + 20, exp: NOW + 200, nbf: NOW + 20 }));
  assert.equal((await verifier.verify(slightlyAhead)).iat, NOW + 20);
});

Deno.test("a wrong or missing issuer is refused when an issuer is configured", async () => {
  const { verifier } = await setup();
  await assertRefused(verifier, await sign("es", claims({ iss: "someone-else" })), "wrong_issuer");
  await assertRefused(verifier, await sign("es", claims({ iss: undefined })), "wrong_issuer");
  const { verifier: open } = await setup({ issuer: false });
  assert.equal((await open.verify(await sign("es", claims({ iss: undefined })))).sub, "alice");
});

Deno.test("a wrong or missing audience is refused when an audience is configured", async () => {
  const { verifier } = await setup();
  await assertRefused(verifier, await sign("rs", claims({ aud: "other" })), "wrong_audience");
  await assertRefused(verifier, await sign("rs", claims({ aud: undefined })), "wrong_audience");
  assert.equal((await verifier.verify(await sign("rs", claims({ aud: ["x", AUD] })))).sub, "alice");
  const { verifier: open } = await setup({ audience: false });
  assert.equal((await open.verify(await sign("rs", claims({ aud: "other" })))).sub, "alice");
});

Deno.test("a lifetime over 300 seconds is refused", async () => {
  const { verifier } = await setup();
  await assertRefused(verifier, await sign("hs", claims({ exp: NOW + 301 })), "lifetime_too_long");
  await assertRefused(
    verifier,
    await sign("hs", claims({ iat: NOW - 3600, exp: NOW + 60 })),
    "lifetime_too_long",
  );
  await assertRefused(verifier, await sign("hs", claims({ exp: NOW })), "malformed");
});

Deno.test("a tampered signature is refused", async () => {
  const { verifier } = await setup();
  for (const which of ["hs", "rs", "es"] as const) {
    const token = await sign(which, claims());
    const [h, p, s] = token.split(".") as [string, string, string];
    const flipped = (s[0] === "A" ? "B" : "A") + s.slice(1);
    await assertRefused(verifier, `${h}.${p}.${flipped}`, "bad_signature");
  }
});

Deno.test("a tampered payload is refused", async () => {
  const { verifier } = await setup();
  for (const which of ["hs", "rs", "es"] as const) {
    const token = await sign(which, claims());
    const [h, , s] = token.split(".") as [string, string, string];
    const forged = b64json(claims({ roles: ["Administrator"] }));
    await assertRefused(verifier, `${h}.${forged}.${s}`, "bad_signature");
  }
});

Deno.test("a non-canonical base64url segment is refused although it decodes to the same bytes", async () => {
  const { verifier } = await setup();
  const token = await sign("hs", claims());
  const [h, p, s] = token.split(".") as [string, string, string];
  // 32-byte MAC → 43 chars with 2 unused low bits in the last char; set one of them.
  const last = s.at(-1) as string;
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const sloppy = s.slice(0, -1) + alphabet[alphabet.indexOf(last) | 1];
  assert.notEqual(sloppy, s);
  await assertRefused(verifier, `${h}.${p}.${sloppy}`, "malformed");
  await assertRefused(verifier, `${h}.${p}.${s}=`, "malformed");
  await assertRefused(verifier, `${h}=.${p}.${s}`, "malformed");
  await assertRefused(verifier, `${h}.${p}+.${s}`, "malformed");
});

Deno.test("missing, empty or unknown roles are refused", async () => {
  const { verifier } = await setup();
  await assertRefused(verifier, await sign("hs", claims({ roles: undefined })), "missing_claims");
  await assertRefused(verifier, await sign("hs", claims({ roles: [] })), "bad_roles");
  await assertRefused(verifier, await sign("hs", claims({ roles: ["Root"] })), "bad_roles");
  await assertRefused(
    verifier,
    await sign("hs", claims({ roles: ["Operator", "root"] })),
    "bad_roles",
  );
  await assertRefused(verifier, await sign("hs", claims({ roles: "Administrator" })), "bad_roles");
  await assertRefused(verifier, await sign("hs", claims({ roles: [{}] })), "bad_roles");
});

Deno.test("missing sub, iat or exp is refused", async () => {
  const { verifier } = await setup();
  for (const name of ["sub", "iat", "exp"]) {
    await assertRefused(
      verifier,
      await sign("hs", claims({ [name]: undefined })),
      "missing_claims",
    );
  }
  await assertRefused(verifier, await sign("hs", claims({ sub: "" })), "malformed");
  await assertRefused(verifier, await sign("hs", claims({ sub: "a\nb" })), "malformed");
  await assertRefused(verifier, await sign("hs", claims({ exp: "soon" })), "malformed");
});

Deno.test("dangerous or unexpected header members are refused", async () => {
  const { verifier } = await setup();
  const base = { alg: "HS256", kid: "hs-1" };
  for (
    const extra of [
      { crit: ["exp"], exp: 1 },
      { jku: "https://evil.example/jwks" },
      { jwk: keys.esPublic },
      { x5u: "https://evil.example/cert" },
      { x5c: ["MIIB"] },
      { b64: false },
      { typ: "at+jwt" },
      { typ: 7 },
      { kid: 7 },
    ]
  ) {
    const token = await rawHs({ ...base, ...extra }, claims());
    await assert.rejects(verifier.verify(token), JwtFailure);
  }
  assert.ok(await verifier.verify(await rawHs({ ...base, typ: "jwt" }, claims())));
  assert.ok(await verifier.verify(await rawHs(base, claims())));
});

Deno.test("structurally broken tokens are refused", async () => {
  const { verifier } = await setup();
  const good = await sign("hs", claims());
  const [h, p, s] = good.split(".") as [string, string, string];
  const cases = [
    "",
    "abc",
    `${h}.${p}`,
    `${h}.${p}.${s}.${s}`,
    `.${p}.${s}`,
    `${h}..${s}`,
    `${b64json([1, 2])}.${p}.${s}`,
    `${toBase64Url(new Uint8Array([0xff, 0xfe]))}.${p}.${s}`,
    `${h}.${toBase64Url(utf8("not json"))}.${s}`,
    "a".repeat(MAX_TOKEN_LENGTH + 1),
  ];
  for (const token of cases) await assert.rejects(verifier.verify(token), JwtFailure);
  await assertRefused(
    verifier,
    `${b64json({ alg: "HS256", kid: "hs-1" })}.${p}.${s}`,
    "bad_signature",
  );
});

Deno.test("every refusal shares one code and message", async () => {
  const { verifier } = await setup();
  const tokens = [
    `${b64json({ alg: "none", kid: "hs-1" })}.${b64json(claims())}.`,
    await sign("hs", claims(), { kid: "nope" }),
    await sign("hs", claims({ exp: NOW - 100, iat: NOW - 200 })),
    await sign("hs", claims({ iss: "x" })),
    await sign("hs", claims({ roles: [] })),
  ];
  const seen = new Set<string>();
  for (const token of tokens) {
    const err = await verifier.verify(token).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof HsmError);
    seen.add(`${err.code}|${err.message}|${err.name}`);
  }
  assert.equal(seen.size, 1);
});

Deno.test("a cache hit does not re-verify and counts in the stats", async () => {
  const { verifier } = await setup();
  const token = await sign("es", claims());
  const first = await verifier.verify(token);
  assert.deepEqual(verifier.cacheStats, { hits: 0, misses: 1, evictions: 0, expirations: 0 });
  const second = await verifier.verify(token);
  assert.equal(second, first); // the very same frozen principal object
  assert.equal(verifier.cacheStats.hits, 1);
  assert.equal(verifier.cacheSize, 1);
  await assertRefused(verifier, await sign("es", claims({ roles: [] })), "bad_roles");
  assert.equal(verifier.cacheSize, 1); // failures are never cached
});

Deno.test("an expired cached token is refused", async () => {
  const { verifier, setNow } = await setup();
  const token = await sign("hs", claims({ iat: NOW, exp: NOW + 60 }));
  await verifier.verify(token);
  setNow(NOW + 60 + 29);
  assert.equal((await verifier.verify(token)).sub, "alice"); // cached, inside the skew
  assert.equal(verifier.cacheStats.hits, 1);
  setNow(NOW + 60 + 30);
  await assertRefused(verifier, token, "expired");
  setNow(NOW + 60 + 31);
  await assertRefused(verifier, token, "expired");
});

Deno.test("the keyset file is reloaded: a new kid becomes valid and a removed kid invalid", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let nowMs = NOW * 1000;
    const clock = () => nowMs;
    const path = await writeKeyset({ keys: [keys.hs] }, dir);
    const keyring = await JwksKeyring.open(path, { clock });
    const verifier = new JwtVerifier(keyring, { issuer: ISS, audience: AUD, clock });
    const hsToken = await sign("hs", claims());
    const esToken = await sign("es", claims());
    assert.equal((await verifier.verify(hsToken)).sub, "alice");
    await assertRefused(verifier, esToken, "unknown_kid");

    await rewriteKeyset(path, { keys: [keys.esPublic] }, NOW + 10);
    nowMs += 500; // within the check interval: the old keyset still answers
    assert.equal((await verifier.verify(hsToken)).sub, "alice");
    nowMs += 600;
    assert.equal((await verifier.verify(esToken)).sub, "alice");
    await assertRefused(verifier, hsToken, "unknown_kid"); // cached, but its key is gone
    assert.deepEqual(keyring.kids(), ["es-1"]);
    assert.equal(keyring.status().reloads, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a replaced key with the same kid invalidates cached tokens signed by the old one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let nowMs = NOW * 1000;
    const clock = () => nowMs;
    const path = await writeKeyset({ keys: [keys.hs] }, dir);
    const keyring = await JwksKeyring.open(path, { clock });
    const verifier = new JwtVerifier(keyring, { issuer: ISS, audience: AUD, clock });
    const token = await sign("hs", claims());
    await verifier.verify(token);
    const rotated = { ...keys.hs, k: toBase64Url(crypto.getRandomValues(new Uint8Array(32))) };
    await rewriteKeyset(path, { keys: [rotated] }, NOW + 10);
    nowMs += 1000;
    await assertRefused(verifier, token, "bad_signature");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failed reload keeps the previous keyset and records the error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let nowMs = NOW * 1000;
    const clock = () => nowMs;
    const path = await writeKeyset({ keys: [keys.hs] }, dir);
    const keyring = await JwksKeyring.open(path, { clock });
    const verifier = new JwtVerifier(keyring, { issuer: ISS, audience: AUD, clock });
    const secret = keys.hs.k as string;
    await Deno.writeTextFile(path, `{"keys": [{"kty":"oct","kid":"x","k":"${secret}"`);
    await Deno.utime(path, NOW + 10, NOW + 10);
    nowMs += 1000;
    assert.equal((await verifier.verify(await sign("hs", claims({ sub: "bob" })))).sub, "bob");
    const status = keyring.status();
    assert.deepEqual(status.kids, ["hs-1"]);
    assert.match(status.lastError?.message ?? "", /not valid JSON/);
    assert.ok(!(status.lastError?.message ?? "").includes(secret.slice(0, 8)));

    await Deno.remove(path);
    nowMs += 1000;
    assert.equal((await keyring.lookup("hs-1"))?.alg, "HS256");
    assert.match(keyring.status().lastError?.message ?? "", /file not found/);

    await rewriteKeyset(path, { keys: [keys.hs, keys.rsPublic] }, NOW + 20);
    nowMs += 1000;
    assert.equal((await keyring.lookup("rs-1"))?.alg, "RS256");
    assert.equal(keyring.status().lastError, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the verifier rejects an out-of-range clock tolerance", () => {
  const lookup = { lookup: () => Promise.resolve(undefined) };
  assert.throws(() => new JwtVerifier(lookup, { clockToleranceS: -1 }), RangeError);
});

Deno.test("a subject that could pose as an approver list in the audit log is refused", async () => {
  const { verifier } = await setup();
  for (const sub of ['["alice","bob"]', "[x"]) {
    await assertRefused(verifier, await sign("hs", claims({ sub })), "malformed");
  }
  assert.equal((await verifier.verify(await sign("hs", claims({ sub: "a[b]" })))).sub, "a[b]");
});
