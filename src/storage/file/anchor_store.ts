/**
 * The audit anchor kept in one JSON file beside the log, replaced atomically (temp file,
 * fsync, rename) after each durable batch. The directory is not fsynced: after a crash
 * the anchor may lag the log, which is harmless (a lag is not a truncation); the temp
 * file's fsync only ensures a renamed anchor is never an empty file after a power loss.
 */

import { utf8 } from "../../core/encoding.ts";
import { type AnchorRecord, isAnchorRecord } from "../../domain/audit_entry.ts";
import { HsmError } from "../../domain/errors.ts";
import { writeFileDurably } from "../../util/fs.ts";
import type { AnchorStore } from "../ports.ts";

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
    if (!isAnchorRecord(value)) {
      throw new HsmError("integrity_error", `Audit anchor is malformed: ${this.#path}`);
    }
    return { seq: value.seq, hash: value.hash, mac: value.mac };
  }

  async write(record: AnchorRecord): Promise<void> {
    const line = `${JSON.stringify({ seq: record.seq, hash: record.hash, mac: record.mac })}\n`;
    await writeFileDurably(this.#path, utf8(line), { replace: true, syncDirectory: false });
  }
}
