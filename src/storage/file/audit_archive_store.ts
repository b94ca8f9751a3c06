/**
 * Archived audit segments and the live log's base, as files in one folder (e.g.
 * `<data-dir>/audit/archive`):
 *
 *   audit-<from>-<to>.log     one segment: the archived entries as JSON lines, exactly
 *                             as the log held them (12-digit zero-padded seqs in the name)
 *   base.json                 the MAC'd base of the live log (see `AuditBase`)
 *
 * Segments are written once (temp file, fsync, hard link to a fresh name, folder fsync)
 * and never changed; the base is replaced atomically and durably. Reading streams a
 * segment line by line; a line that is not an entry is `integrity_error`.
 */

import { fromUtf8, utf8 } from "../../core/encoding.ts";
import {
  type AuditBase,
  type AuditEntry,
  isAuditBase,
  parseAuditEntry,
  serializeEntry,
} from "../../domain/audit_entry.ts";
import { HsmError } from "../../domain/errors.ts";
import { syncDir, writeFileDurably, writeTempFile } from "../../util/fs.ts";
import type { AuditArchiveStore } from "../ports.ts";

const SEGMENT_RE = /^audit-\d{12}-\d{12}\.log$/;

/** The archive folder of an audit log. */
export class FileAuditArchiveStore implements AuditArchiveStore {
  readonly #dir: string;

  /** An archive in `dir` (created on the first write). */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The archive folder. */
  get dir(): string {
    return this.#dir;
  }

  /** Writes a segment (entries in seq order) as a new file; resolves with its name. */
  async writeSegment(entries: readonly AuditEntry[]): Promise<string> {
    const first = entries[0];
    const last = entries[entries.length - 1];
    if (first === undefined || last === undefined) throw new RangeError("An empty segment");
    await Deno.mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const name = `audit-${pad(first.seq)}-${pad(last.seq)}.log`;
    const body = utf8(entries.map((e) => `${serializeEntry(e)}\n`).join(""));
    const tmp = await writeTempFile(this.#dir, name, body);
    try {
      await Deno.link(tmp, `${this.#dir}/${name}`);
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) {
        throw new HsmError("conflict", `Audit archive segment ${name} exists`);
      }
      throw err;
    } finally {
      await Deno.remove(tmp).catch(() => undefined);
    }
    await syncDir(this.#dir);
    return name;
  }

  /** The entries of a segment, in file order. */
  async *readSegment(name: string): AsyncGenerator<AuditEntry> {
    if (!SEGMENT_RE.test(name)) throw new HsmError("integrity_error", `Bad segment name ${name}`);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(`${this.#dir}/${name}`);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new HsmError("not_found", `Audit archive segment ${name} is missing`);
      }
      throw err;
    }
    const lines = fromUtf8(bytes).split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    for (const [i, line] of lines.entries()) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        value = undefined;
      }
      const entry = parseAuditEntry(value);
      if (entry === undefined) {
        throw new HsmError("integrity_error", `Line ${i + 1} of ${name} is not an audit entry`);
      }
      yield entry;
    }
  }

  /** The base, or undefined before the first archive. */
  async readBase(): Promise<AuditBase | undefined> {
    let text: string;
    try {
      text = await Deno.readTextFile(`${this.#dir}/base.json`);
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
    if (!isAuditBase(value)) throw new HsmError("integrity_error", "Audit base is malformed");
    return { seq: value.seq, hash: value.hash, segments: [...value.segments], mac: value.mac };
  }

  /** Replaces the base durably. */
  async writeBase(base: AuditBase): Promise<void> {
    await Deno.mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const text = `${
      JSON.stringify({ seq: base.seq, hash: base.hash, segments: base.segments, mac: base.mac })
    }\n`;
    await writeFileDurably(`${this.#dir}/base.json`, utf8(text), { replace: true });
  }
}

function pad(seq: number): string {
  return String(seq).padStart(12, "0");
}
