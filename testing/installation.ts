/**
 * A throw-away installation shared by the tests and the benchmarks: a data dir, root
 * secret files, a JWKS keyset with HS256, RS256 and ES256 keys, token minting, and
 * files written beside them (mode 0600). Test and benchmark code, never product code.
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
  token(
    sub: string,
    roles: readonly string[],
    options?: { kid?: string; ttl?: number },
  ): Promise<string>;
  /** Mints a token and writes it to a fresh 0600 file; returns the path. */
  tokenFile(sub: string, roles: readonly string[]): Promise<string>;
  /** Writes `text` to a new 0600 file in the installation; returns the path. */
  writeFile(name: string, text: string): Promise<string>;
  /** The serve flags for this installation. */
  flags(extra?: readonly string[]): string[];
  cleanup(): Promise<void>;
}

/** Creates a fresh installation in a temp dir. */
export async function makeInstallation(prefix = "ferrohsm-test-"): Promise<Installation> {
  const dir = await Deno.makeTempDir({ prefix });
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
  let files = 0;
  const writeFile = async (name: string, text: string) => {
    const path = join(dir, `${++files}-${name}`);
    await Deno.writeTextFile(path, text, { mode: 0o600 });
    return path;
  };
  const token: Installation["token"] = (sub, roles, options = {}) =>
    mintToken(keysetFile, {
      sub,
      roles: roles as Parameters<typeof mintToken>[1]["roles"],
      ttl: options.ttl ?? 300,
      kid: options.kid ?? "hs",
    });
  return {
    dir,
    dataDir,
    masterKeyFile,
    hmacKeyFile,
    keysetFile,
    token,
    tokenFile: async (sub, roles) => writeFile("token", await token(sub, roles)),
    writeFile,
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
