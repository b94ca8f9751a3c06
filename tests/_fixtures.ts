/**
 * Test fixtures shared by integration tests: a fresh installation on disk (data dir,
 * root secret files, a JWKS keyset with HS256, RS256 and ES256 keys) and token minting.
 */

import { join } from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { toBase64Url, toHex } from "../src/core/encoding.ts";
import { mintToken } from "../src/auth/token_mint.ts";

/** A temporary installation. */
export interface Installation {
  readonly dir: string;
  readonly dataDir: string;
  readonly masterKeyFile: string;
  readonly hmacKeyFile: string;
  readonly keysetFile: string;
  /** Mints a token for `sub` with `roles` (HS256 unless `kid` names rs/es). */
  token(sub: string, roles: string[], options?: { kid?: string; ttl?: number }): Promise<string>;
  /** The serve flags for this installation. */
  flags(extra?: string[]): string[];
  cleanup(): Promise<void>;
}

/** Creates a fresh installation in a temp dir. */
export async function makeInstallation(): Promise<Installation> {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-test-" });
  const dataDir = join(dir, "data");
  const masterKeyFile = join(dir, "master.key");
  const hmacKeyFile = join(dir, "hmac.key");
  const keysetFile = join(dir, "jwks.json");
  await Deno.writeTextFile(masterKeyFile, toHex(crypto.getRandomValues(new Uint8Array(32))));
  await Deno.writeFile(hmacKeyFile, crypto.getRandomValues(new Uint8Array(32)));
  const rs = await generateKeyPair("RS256", { extractable: true });
  const es = await generateKeyPair("ES256", { extractable: true });
  const keys = [
    {
      kty: "oct",
      kid: "hs",
      alg: "HS256",
      k: toBase64Url(crypto.getRandomValues(new Uint8Array(32))),
    },
    { ...(await exportJWK(rs.privateKey)), kid: "rs", alg: "RS256" },
    { ...(await exportJWK(es.privateKey)), kid: "es", alg: "ES256" },
  ];
  await Deno.writeTextFile(keysetFile, JSON.stringify({ keys }));
  return {
    dir,
    dataDir,
    masterKeyFile,
    hmacKeyFile,
    keysetFile,
    token: (sub, roles, options = {}) =>
      mintToken(keysetFile, {
        sub,
        roles: roles as Parameters<typeof mintToken>[1]["roles"],
        ttl: options.ttl ?? 300,
        kid: options.kid ?? "hs",
      }),
    flags: (extra = []) => [
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
      "--master-key-file",
      masterKeyFile,
      "--hmac-key-file",
      hmacKeyFile,
      "--jwt-keyset",
      keysetFile,
      ...extra,
    ],
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}
