/**
 * The audit anchor: a MAC'd `{seq, hash}` of the last durable entry, kept beside the
 * log so that truncation or deletion of the log's tail (invisible to the chain itself)
 * is detected: a log that ends before the anchor's seq was truncated.
 *
 * `FileAnchorStore` replaces the file atomically (temp file, data sync, rename) after
 * the log batch is durable, so the anchor never runs ahead of the log. The directory
 * is not fsynced: after a crash the anchor may lag the log, which is harmless (a lag is
 * not a truncation); syncing the temp file's data only ensures a renamed anchor is
 * never an empty file after a power loss.
 *
 * Security caveats: the MAC (HMAC-SHA-384 under the audit MAC key, domain separated
 * from entry MACs) stops forging an anchor, not replaying an older one. Whoever can
 * write the data directory can swap in an older anchor together with a truncated log,
 * or delete both. Export the head hash (`GET /api/v1/audit/verify`) to an external
 * system to detect that.
 */

import { HsmError } from "../domain/errors.ts";
import { fromHex, toHex, utf8 } from "../core/encoding.ts";
import type { AuditMacKey } from "./chain.ts";

/** A signed anchor as stored: the last durable entry's seq and hash, and its MAC. */
export interface AnchorRecord {
  readonly seq: number;
  readonly hash: string;
  /** Hex HMAC-SHA-384 over "ferrohsm audit anchor v1" ‖ seq ‖ hash. */
  readonly mac: string;
}

/** Where the anchor lives. `read` does not check the MAC; `verifyAnchor` does. */
export interface AnchorStore {
  /** The stored anchor, or undefined when none. @throws HsmError("integrity_error") */
  read(): Promise<AnchorRecord | undefined>;
  /** Replaces the stored anchor atomically. */
  write(record: AnchorRecord): Promise<void>;
}

const DOMAIN = "ferrohsm audit anchor v1";
const HASH_RE = /^[0-9a-f]{64}$/;
const MAC_RE = /^[0-9a-f]{96}$/;

/** Signs `{seq, hash}` into an anchor record. */
export async function signAnchor(
  macKey: AuditMacKey,
  seq: number,
  hash: string,
): Promise<AnchorRecord> {
  const mac = await crypto.subtle.sign("HMAC", macKey, anchorInput(seq, hash));
  return { seq, hash, mac: toHex(new Uint8Array(mac)) };
}

/** True when the anchor's MAC is valid under `macKey`. */
export async function verifyAnchor(macKey: AuditMacKey, record: AnchorRecord): Promise<boolean> {
  if (!isAnchorShape(record)) return false;
  const mac = fromHex(record.mac);
  if (mac === undefined) return false;
  return await crypto.subtle.verify(
    "HMAC",
    macKey,
    new Uint8Array(mac),
    anchorInput(record.seq, record.hash),
  );
}

/** Anchor kept in one JSON file, replaced by temp file + rename. */
export class FileAnchorStore implements AnchorStore {
  readonly #path: string;

  /** An anchor store at `path` (the file need not exist yet). */
  constructor(path: string) {
    this.#path = path;
  }

  /** The anchor file path. */
  get path(): string {
    return this.#path;
  }

  /** @throws HsmError("integrity_error") when the file exists but is not an anchor */
  async read(): Promise<AnchorRecord | undefined> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.#path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (!isAnchorShape(value)) {
      throw new HsmError("integrity_error", `Audit anchor is malformed: ${this.#path}`);
    }
    return { seq: value.seq, hash: value.hash, mac: value.mac };
  }

  async write(record: AnchorRecord): Promise<void> {
    const tmp = `${this.#path}.tmp`;
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true, mode: 0o600 });
    try {
      const bytes = utf8(
        `${JSON.stringify({ seq: record.seq, hash: record.hash, mac: record.mac })}\n`,
      );
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, this.#path);
  }
}

/** Anchor held in memory (tests). */
export class MemoryAnchorStore implements AnchorStore {
  /** The stored anchor; tests may overwrite it. */
  record: AnchorRecord | undefined;

  read(): Promise<AnchorRecord | undefined> {
    return Promise.resolve(this.record);
  }

  write(record: AnchorRecord): Promise<void> {
    this.record = record;
    return Promise.resolve();
  }
}

function isAnchorShape(value: unknown): value is AnchorRecord {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.seq === "number" && Number.isSafeInteger(v.seq) && v.seq >= 0 &&
    typeof v.hash === "string" && HASH_RE.test(v.hash) &&
    typeof v.mac === "string" && MAC_RE.test(v.mac);
}

function anchorInput(seq: number, hash: string): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError("Invalid anchor seq");
  const domain = utf8(DOMAIN);
  const hashBytes = utf8(hash);
  const out = new Uint8Array(4 + domain.length + 8 + 4 + hashBytes.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, domain.length);
  out.set(domain, 4);
  view.setBigUint64(4 + domain.length, BigInt(seq));
  view.setUint32(12 + domain.length, hashBytes.length);
  out.set(hashBytes, 16 + domain.length);
  return out;
}
