/**
 * The base of a live audit log whose older entries were archived (`AuditBase`): the
 * seq and hash of the last archived entry and the archive's segment names, MAC'd with
 * the audit MAC key under its own domain ("ferrohsm audit base v1"), so a base cannot
 * be forged or pointed at other segments without the HMAC key.
 */

import { fromHex, toHex, utf8 } from "../core/encoding.ts";
import type { AuditBase } from "../domain/audit_entry.ts";
import { HsmError } from "../domain/errors.ts";
import type { AuditArchiveStore } from "../storage/ports.ts";
import type { MacKey } from "./chain.ts";

const DOMAIN = "ferrohsm audit base v1";

function baseInput(seq: number, hash: string, segments: readonly string[]): Uint8Array {
  return utf8(JSON.stringify([DOMAIN, seq, hash, segments]));
}

/** Signs a base. */
export function signBase(
  macKey: MacKey,
  seq: number,
  hash: string,
  segments: readonly string[],
): AuditBase {
  const mac = macKey.mac(baseInput(seq, hash, segments));
  return { seq, hash, segments: [...segments], mac: toHex(mac) };
}

/** True when the base's MAC holds. */
export function verifyBase(macKey: MacKey, base: AuditBase): boolean {
  const mac = fromHex(base.mac);
  if (mac === undefined) return false;
  return macKey.verify(mac, baseInput(base.seq, base.hash, base.segments));
}

/**
 * Reads and checks the base of a live log.
 * @throws HsmError("integrity_error") when it fails its MAC
 */
export async function readVerifiedBase(
  archive: AuditArchiveStore,
  macKey: MacKey,
): Promise<AuditBase | undefined> {
  const base = await archive.readBase();
  if (base !== undefined && !verifyBase(macKey, base)) {
    throw new HsmError("integrity_error", "The audit base fails verification");
  }
  return base;
}
