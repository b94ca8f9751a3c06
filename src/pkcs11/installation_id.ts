/**
 * The installation id: 16 lowercase hex characters generated once per data directory
 * (`<data-dir>/installation-id`, mode 0600) and shown as the PKCS#11 token's serial
 * number, so applications can tell FerroHSM installations apart. Not a secret.
 */

import { join } from "node:path";
import { HsmError } from "../domain/errors.ts";

const ID_RE = /^[0-9a-f]{16}$/;

/** The path of the installation id file in `dataDir`. */
export function installationIdPath(dataDir: string): string {
  return join(dataDir, "installation-id");
}

/**
 * Reads the installation id, creating it on first use.
 * @throws HsmError("integrity_error") when the file exists but does not hold an id
 */
export async function loadInstallationId(dataDir: string): Promise<string> {
  const path = installationIdPath(dataDir);
  try {
    const fresh = Array.from(
      crypto.getRandomValues(new Uint8Array(8)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    await Deno.writeTextFile(path, `${fresh}\n`, { createNew: true, mode: 0o600 });
    return fresh;
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  }
  const text = (await Deno.readTextFile(path)).trim();
  if (!ID_RE.test(text)) {
    throw new HsmError(
      "integrity_error",
      `Cannot use ${path}: it does not hold an installation id`,
    );
  }
  return text;
}
