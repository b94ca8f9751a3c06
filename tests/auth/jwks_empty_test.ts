/**
 * What an operator's edit of the keyset file means: an emptied keyset (`{"keys": []}`)
 * trusts no one, so every token, including ones verified and cached before, is refused
 * within the reload interval; a malformed file keeps the last good keyset but says so
 * (status, failure count, the reload-error callback).
 */

import assert from "node:assert/strict";
import { importJWK, SignJWT } from "jose";
import { importSigningKey, JwksKeyring } from "../../src/auth/jwks.ts";
import { JwtVerifier } from "../../src/auth/jwt.ts";
import { isHsmError } from "../../src/domain/errors.ts";
import { rewriteKeyset, testKeys, writeKeyset } from "./_keys.ts";

const NOW = 1_700_000_000;
const keys = await testKeys();

async function hsToken(sub: string): Promise<string> {
  return await new SignJWT({ roles: ["Administrator"] })
    .setProtectedHeader({ alg: "HS256", kid: "hs-1", typ: "JWT" })
    .setSubject(sub)
    .setIssuedAt(NOW)
    .setExpirationTime(NOW + 300)
    .sign(await importJWK(keys.hs, "HS256"));
}

Deno.test("an emptied keyset refuses every token, cached ones included, after the interval", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let nowMs = NOW * 1000;
    const clock = () => nowMs;
    const path = await writeKeyset({ keys: [keys.hs, keys.esPublic] }, dir);
    const keyring = await JwksKeyring.open(path, { clock });
    const verifier = new JwtVerifier(keyring, { clock });
    const token = await hsToken("alice");
    assert.equal((await verifier.verify(token)).sub, "alice");

    await rewriteKeyset(path, { keys: [] }, NOW + 10);
    nowMs += 1000;
    await assert.rejects(verifier.verify(token));
    await assert.rejects(verifier.verify(await hsToken("bob")));
    assert.deepEqual(keyring.kids(), []);
    const status = keyring.status();
    assert.equal(status.stale, false, "an empty keyset is a successful reload");
    assert.equal(status.reloads, 1);
    assert.equal(status.lastError, undefined);

    await rewriteKeyset(path, { keys: [keys.hs] }, NOW + 20);
    nowMs += 1000;
    assert.equal((await verifier.verify(token)).sub, "alice");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a keyset that is empty at start-up is accepted and trusts no one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const keyring = await JwksKeyring.open(await writeKeyset({ keys: [] }, dir));
    assert.deepEqual(keyring.kids(), []);
    assert.equal(await keyring.lookup("hs-1"), undefined);
    await assert.rejects(
      importSigningKey({ keys: [] }),
      (err: unknown) => isHsmError(err, "invalid_request"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a malformed keyset keeps the last good keys and is reported loudly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let nowMs = NOW * 1000;
    const reported: string[] = [];
    const path = await writeKeyset({ keys: [keys.hs] }, dir);
    const keyring = await JwksKeyring.open(path, {
      clock: () => nowMs,
      onReloadError: (message) => reported.push(message),
    });
    await Deno.writeTextFile(path, '{"keys": [');
    await Deno.utime(path, NOW + 10, NOW + 10);
    nowMs += 1000;
    assert.equal((await keyring.lookup("hs-1"))?.alg, "HS256");
    assert.equal(reported.length, 1);
    assert.match(reported[0] ?? "", /not valid JSON/);
    let status = keyring.status();
    assert.equal(status.stale, true);
    assert.equal(status.reloadFailures, 1);

    await rewriteKeyset(path, { keys: [{ kty: "oct", kid: "short", k: "AAAA" }] }, NOW + 20);
    nowMs += 1000;
    assert.equal((await keyring.lookup("hs-1"))?.alg, "HS256");
    assert.equal(keyring.status().reloadFailures, 2);

    await rewriteKeyset(path, { keys: [keys.hs] }, NOW + 30);
    nowMs += 1000;
    await keyring.lookup("hs-1");
    status = keyring.status();
    assert.equal(status.stale, false);
    assert.equal(status.reloadFailures, 2);
    assert.equal(reported.length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
