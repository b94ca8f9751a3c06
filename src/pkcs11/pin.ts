/**
 * The user PIN of the PKCS#11 token. A PIN is either a bearer JWT the API accepts, or
 * `file:NAME` / `file:/abs/dir/NAME` naming a token file in the operator's token
 * directory (`--pkcs11-token-dir`, default `<data-dir>/pkcs11-tokens`), which an operator
 * job keeps fresh so long-running services stay logged in without a secret in any
 * module or application file. The server reads only files directly inside that one
 * directory (after resolving symlinks), regular, at most 8 KiB, and neither writable by
 * others nor readable by everyone; anything else is refused like a wrong PIN. The PIN
 * and the file's content are never logged.
 *
 * Caveat: a token file is a bearer credential for everyone who may connect to the
 * socket; the socket's group is the trust boundary (see docs/pkcs11.md).
 */

import { basename, dirname, isAbsolute, join, normalize } from "node:path";
import { MAX_TOKEN_LENGTH } from "../auth/jwt.ts";
import { CKR } from "./constants.ts";
import { Pkcs11Error } from "./token_backend.ts";

/** Where a PIN's token comes from. */
export type PinSource =
  | { readonly kind: "jwt"; readonly token: string }
  | { readonly kind: "file"; readonly path: string };

/** File names a short `file:NAME` PIN may use. */
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;
const FILE_PREFIX = "file:";
/** Largest token file accepted, in bytes. */
export const MAX_TOKEN_FILE_BYTES = 8 * 1024;

function incorrect(): Pkcs11Error {
  return new Pkcs11Error(CKR.PIN_INCORRECT);
}

/**
 * Parses a PIN. A `file:` PIN must name a file directly inside `tokenDir`.
 * @throws Pkcs11Error(CKR_PIN_INCORRECT | CKR_PIN_LEN_RANGE)
 */
export function parsePin(pin: Uint8Array, tokenDir: string | undefined): PinSource {
  if (pin.length > MAX_TOKEN_LENGTH) throw new Pkcs11Error(CKR.PIN_LEN_RANGE);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(pin).trim();
  } catch {
    throw incorrect();
  }
  if (!text.startsWith(FILE_PREFIX)) return { kind: "jwt", token: text };
  const rest = text.slice(FILE_PREFIX.length);
  if (tokenDir === undefined || rest.includes("\0")) throw incorrect();
  if (!isAbsolute(rest)) {
    if (!NAME_RE.test(rest)) throw incorrect();
    return { kind: "file", path: join(tokenDir, rest) };
  }
  const path = normalize(rest);
  if (dirname(path) !== normalize(tokenDir) || !NAME_RE.test(basename(path))) throw incorrect();
  return { kind: "file", path };
}

/** Why a token file was refused (for the server log; never its content). */
export type TokenFileProblem = "unreadable" | "outside" | "not_regular" | "too_large" | "exposed";

/** The outcome of reading a token file. */
export type TokenFileResult =
  | { readonly ok: true; readonly token: string }
  | { readonly ok: false; readonly problem: TokenFileProblem };

/** Reads a token file with the checks above; never throws. */
export async function readTokenFile(path: string, tokenDir: string): Promise<TokenFileResult> {
  try {
    const [realDir, realFile] = await Promise.all([Deno.realPath(tokenDir), Deno.realPath(path)]);
    if (dirname(realFile) !== realDir) return { ok: false, problem: "outside" };
    const info = await Deno.stat(realFile);
    if (!info.isFile) return { ok: false, problem: "not_regular" };
    if (info.size > MAX_TOKEN_FILE_BYTES) return { ok: false, problem: "too_large" };
    if (info.mode !== null && (info.mode & 0o026) !== 0) return { ok: false, problem: "exposed" };
    const bytes = await Deno.readFile(realFile);
    try {
      if (bytes.length > MAX_TOKEN_FILE_BYTES) return { ok: false, problem: "too_large" };
      const token = new TextDecoder("utf-8", { fatal: true }).decode(bytes).trim();
      return { ok: true, token };
    } finally {
      bytes.fill(0);
    }
  } catch {
    return { ok: false, problem: "unreadable" };
  }
}
