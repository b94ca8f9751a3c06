/**
 * Loads the operator's root secrets and the data-dir check values. Secret files hold
 * 32 raw bytes or 64 hex characters (a trailing newline is allowed). In `--dev` mode
 * missing secrets are generated once under `<data-dir>/dev/` with mode 0600 and
 * reused. File buffers are wiped after parsing.
 */

import { join } from "node:path";
import { HsmError } from "../domain/errors.ts";
import { fromHex, toHex } from "../core/encoding.ts";
import type { KeyCheckValues } from "../core/master_key.ts";
import { ROOT_KEY_BYTES } from "../core/master_key.ts";
import { wipe } from "../core/zeroize.ts";
import { exists, writeFileDurably } from "../util/fs.ts";
import { describeSystemError } from "../util/system_error.ts";

/** Reads a root secret file. @throws HsmError("invalid_request") naming the file */
export async function readRootSecret(path: string, what: string): Promise<Uint8Array> {
  let raw: Uint8Array;
  try {
    raw = await Deno.readFile(path);
  } catch (err) {
    throw new HsmError(
      "invalid_request",
      `Cannot read the ${what} file ${path}: ${describeSystemError(err) ?? "unreadable"}`,
    );
  }
  try {
    if (raw.length === ROOT_KEY_BYTES) return raw.slice();
    const text = new TextDecoder().decode(raw).trim();
    const hex = text.length === ROOT_KEY_BYTES * 2 ? fromHex(text) : undefined;
    if (hex === undefined) {
      throw new HsmError(
        "invalid_request",
        `Cannot use the ${what} file ${path}: expected 32 raw bytes or 64 hex characters`,
      );
    }
    return hex;
  } finally {
    wipe(raw);
  }
}

/** Writes a new secret file with mode 0600, refusing to overwrite. */
export async function writeSecretFile(path: string, contents: Uint8Array): Promise<void> {
  await writeFileDurably(path, contents);
}

/** Dev-mode secret paths under `<data-dir>/dev/`. */
export function devPaths(
  dataDir: string,
): { dir: string; masterKey: string; hmacKey: string; keyset: string } {
  const dir = join(dataDir, "dev");
  return {
    dir,
    masterKey: join(dir, "master.key"),
    hmacKey: join(dir, "hmac.key"),
    keyset: join(dir, "jwks.json"),
  };
}

/** Generates the dev master and HMAC key files once (hex, mode 0600); returns their paths. */
export async function ensureDevSecrets(
  dataDir: string,
): Promise<{ masterKey: string; hmacKey: string }> {
  const paths = devPaths(dataDir);
  await Deno.mkdir(paths.dir, { recursive: true, mode: 0o700 });
  for (const path of [paths.masterKey, paths.hmacKey]) {
    if (await exists(path)) continue;
    const secret = crypto.getRandomValues(new Uint8Array(ROOT_KEY_BYTES));
    const hex = new TextEncoder().encode(toHex(secret) + "\n");
    try {
      await writeSecretFile(path, hex);
    } finally {
      wipe(secret, hex);
    }
  }
  return { masterKey: paths.masterKey, hmacKey: paths.hmacKey };
}

/** Where the key check values of an installation are kept. */
export function checkValuePath(dataDir: string): string {
  return join(dataDir, "kcv.json");
}

/** Reads the stored check values, or undefined on a fresh data dir. */
export async function readCheckValues(dataDir: string): Promise<KeyCheckValues | undefined> {
  const path = checkValuePath(dataDir);
  if (!(await exists(path))) return undefined;
  const parsed = JSON.parse(await Deno.readTextFile(path)) as Partial<KeyCheckValues>;
  if (typeof parsed.master !== "string" || typeof parsed.hmac !== "string") {
    throw new HsmError("integrity_error", `Cannot read the check values in ${path}`);
  }
  return { master: parsed.master, hmac: parsed.hmac };
}

/** Records the check values of a new installation (atomically, never overwriting). */
export async function writeCheckValues(dataDir: string, kcv: KeyCheckValues): Promise<void> {
  const body = JSON.stringify({ format: 1, master: kcv.master, hmac: kcv.hmac }, null, 2) + "\n";
  await writeFileDurably(checkValuePath(dataDir), new TextEncoder().encode(body));
}
