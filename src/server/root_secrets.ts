/**
 * Start-up steps that touch the operator's secrets: reading the master and HMAC keys
 * (or generating them once under `--dev`; the same file or the same bytes for both is
 * refused), comparing the key check values of the data
 * dir, and finding the JWT keyset (a generated HS256 keyset and one Administrator token
 * under `--dev`). Each failure is a StartupError with the exit code the contract names.
 */

import { generateDevKeyset, mintToken } from "../auth/token_mint.ts";
import type { Config } from "../config/config.ts";
import {
  devPaths,
  ensureDevSecrets,
  readCheckValues,
  readRootSecret,
  writeCheckValues,
} from "../config/secrets.ts";
import type { RootKeys } from "../core/master_key.ts";
import { timingSafeEqual, wipe } from "../core/zeroize.ts";
import { isHsmError } from "../domain/errors.ts";
import { exists, writeFileDurably } from "../util/fs.ts";
import type { Logger } from "../util/logger.ts";
import { EXIT, StartupError } from "./startup_error.ts";

/** The raw root secrets; the caller derives keys from them and wipes both. */
export interface RawRootSecrets {
  readonly master: Uint8Array;
  readonly hmac: Uint8Array;
}

/** Where the JWT keyset is, and the dev token minted for it under `--dev`. */
export interface KeysetLocation {
  readonly path: string;
  readonly devToken?: string;
}

/** Reads the root secrets named by the config (or the dev ones). @throws StartupError */
export async function loadRootSecrets(config: Config, log: Logger): Promise<RawRootSecrets> {
  let masterFile = config.masterKeyFile;
  let hmacFile = config.hmacKeyFile;
  if (masterFile === undefined || hmacFile === undefined) {
    if (!config.dev) {
      throw new StartupError(
        EXIT.usage,
        "Cannot start: --master-key-file and --hmac-key-file are required (or use --dev)",
      );
    }
    const dev = await ensureDevSecrets(config.dataDir);
    masterFile ??= dev.masterKey;
    hmacFile ??= dev.hmacKey;
    log.log("warn", "DEV MODE: using generated root secrets; never use --dev in production", {
      dir: devPaths(config.dataDir).dir,
    });
  }
  let secrets: RawRootSecrets;
  try {
    secrets = {
      master: await readRootSecret(masterFile, "master key"),
      hmac: await readRootSecret(hmacFile, "HMAC key"),
    };
  } catch (err) {
    throw new StartupError(EXIT.usage, err instanceof Error ? err.message : String(err));
  }
  // One secret for both purposes would make the sealing and the MAC keys derive from
  // the same root: a single leaked file would then defeat both.
  if (timingSafeEqual(secrets.master, secrets.hmac) || await sameFile(masterFile, hmacFile)) {
    wipe(secrets.master, secrets.hmac);
    throw new StartupError(
      EXIT.usage,
      "Cannot start: --master-key-file and --hmac-key-file hold the same key; " +
        "they must be two independent secrets",
    );
  }
  return secrets;
}

/** True when both paths name the same file (also through links). */
async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    return (await Deno.realPath(a)) === (await Deno.realPath(b));
  } catch {
    return a === b;
  }
}

/** Finds the keyset (generating the dev keyset and token under `--dev`). @throws StartupError */
export async function resolveKeyset(config: Config): Promise<KeysetLocation> {
  if (config.jwtKeyset !== undefined) return { path: config.jwtKeyset };
  if (!config.dev) {
    throw new StartupError(EXIT.usage, "Cannot start: --jwt-keyset is required (or use --dev)");
  }
  const path = devPaths(config.dataDir).keyset;
  if (!(await exists(path))) {
    await Deno.mkdir(devPaths(config.dataDir).dir, { recursive: true, mode: 0o700 });
    const { jwks } = generateDevKeyset();
    await writeFileDurably(path, new TextEncoder().encode(JSON.stringify(jwks, null, 2) + "\n"));
  }
  const devToken = await mintToken(path, {
    sub: "dev-admin",
    roles: ["Administrator"],
    ttl: 300,
    ...(config.jwtIssuer === undefined ? {} : { issuer: config.jwtIssuer }),
    ...(config.jwtAudience === undefined ? {} : { audience: config.jwtAudience }),
  });
  return { path, devToken };
}

/**
 * Records the check values of a new data dir, or compares them with the stored ones.
 * @throws StartupError(EXIT.wrongMasterKey) when the keys do not match the data dir
 */
export async function checkRootKeys(config: Config, keys: RootKeys): Promise<void> {
  const stored = await readCheckValues(config.dataDir);
  if (stored === undefined) {
    await writeCheckValues(config.dataDir, keys.checkValues);
    return;
  }
  try {
    keys.assertMatches(stored);
  } catch (err) {
    if (isHsmError(err, "integrity_error")) {
      throw new StartupError(EXIT.wrongMasterKey, err.message);
    }
    throw err;
  }
}
