/** Test fixtures: one HS256, RS256 and ES256 key each, as private and public JWKs. */

import { exportJWK, generateKeyPair, type JWK } from "jose";
import { toBase64Url } from "../../src/core/encoding.ts";

/** The three keys of the test keyset. */
export interface TestKeys {
  readonly hs: JWK;
  readonly rsPrivate: JWK;
  readonly rsPublic: JWK;
  readonly esPrivate: JWK;
  readonly esPublic: JWK;
}

let cached: Promise<TestKeys> | undefined;

/** Generates the fixtures once per test module. */
export function testKeys(): Promise<TestKeys> {
  cached ??= generate();
  return cached;
}

async function generate(): Promise<TestKeys> {
  const rs = await generateKeyPair("RS256", { extractable: true, modulusLength: 2048 });
  const es = await generateKeyPair("ES256", { extractable: true });
  const hs: JWK = {
    kty: "oct",
    kid: "hs-1",
    alg: "HS256",
    k: toBase64Url(crypto.getRandomValues(new Uint8Array(32))),
  };
  const rsPrivate = { ...(await exportJWK(rs.privateKey)), kid: "rs-1", alg: "RS256" };
  const rsPublic = { ...(await exportJWK(rs.publicKey)), kid: "rs-1", alg: "RS256" };
  const esPrivate = { ...(await exportJWK(es.privateKey)), kid: "es-1", alg: "ES256" };
  const esPublic = { ...(await exportJWK(es.publicKey)), kid: "es-1", alg: "ES256" };
  return { hs, rsPrivate, rsPublic, esPrivate, esPublic };
}

/** Writes `jwks` to a fresh temporary file and returns its path. */
export async function writeKeyset(jwks: unknown, dir?: string): Promise<string> {
  const path = await Deno.makeTempFile({ ...(dir === undefined ? {} : { dir }), suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify(jwks));
  return path;
}

/** Overwrites the keyset file and moves its mtime forward so the change is always visible. */
export async function rewriteKeyset(path: string, jwks: unknown, mtimeS: number): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(jwks));
  await Deno.utime(path, mtimeS, mtimeS);
}
