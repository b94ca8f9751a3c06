/**
 * The retention ledger as an append-only file of lines (`<data-dir>/retention-ledger.log`).
 * Each append takes an exclusive advisory lock (flock) on the file, reads its last
 * committed line, writes the line built from it with one write and one fdatasync, and
 * releases the lock; so any process holding the file appends in turn and the chain stays
 * linear. Bytes after the last newline can only be a line whose append never returned
 * (a crash): the next append trims them first. Lines never change once written.
 */

import { fromUtf8, utf8 } from "../../core/encoding.ts";
import { HsmError } from "../../domain/errors.ts";
import { writeFully } from "../../util/fs.ts";
import type { LedgerStore } from "../ports.ts";

const NEWLINE = 0x0a;
const TAIL_CHUNK = 16 * 1024;
/** Longest accepted line, in bytes. */
const MAX_LINE = 1 << 20;

/** A LedgerStore over one file. */
export class FileLedgerStore implements LedgerStore {
  readonly #path: string;
  readonly #file: Deno.FsFile;
  #mutex: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(path: string, file: Deno.FsFile) {
    this.#path = path;
    this.#file = file;
  }

  /** Opens (creating, 0600) the ledger file. */
  static async open(path: string): Promise<FileLedgerStore> {
    const file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
    return new FileLedgerStore(path, file);
  }

  /** Appends under the file lock: trim a torn tail, read the last line, write, fsync. */
  append(next: (last: string | undefined) => Promise<string>): Promise<string> {
    const run = this.#mutex.then(async () => {
      this.#assertOpen();
      await this.#file.lock(true);
      try {
        const { size, last } = await this.#tail();
        const line = await next(last);
        if (line.includes("\n")) throw new TypeError("A ledger line has no newline");
        const bytes = utf8(`${line}\n`);
        await this.#file.seek(size, Deno.SeekMode.Start);
        try {
          await writeFully(this.#file, bytes);
          await this.#file.syncData();
        } catch (err) {
          await this.#file.truncate(size).catch(() => undefined);
          throw err;
        }
        return line;
      } finally {
        await this.#file.unlock();
      }
    });
    this.#mutex = run.catch(() => undefined);
    return run;
  }

  /** Every committed line. */
  async lines(): Promise<string[]> {
    this.#assertOpen();
    const bytes = await Deno.readFile(this.#path);
    const committed = bytes.subarray(0, bytes.lastIndexOf(NEWLINE) + 1);
    const text = fromUtf8(committed);
    return text === "" ? [] : text.slice(0, -1).split("\n");
  }

  /** Closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#mutex;
    this.#file.close();
  }

  /** The committed size (a torn tail trimmed) and the last committed line. */
  async #tail(): Promise<{ size: number; last: string | undefined }> {
    let size = (await this.#file.stat()).size;
    let chunk = Math.min(size, TAIL_CHUNK);
    for (;;) {
      const buf = new Uint8Array(chunk);
      await this.#file.seek(size - chunk, Deno.SeekMode.Start);
      let got = 0;
      while (got < chunk) {
        const n = await this.#file.read(buf.subarray(got));
        if (n === null) break;
        got += n;
      }
      const end = buf.lastIndexOf(NEWLINE, got - 1);
      if (end === -1 && chunk < size) {
        chunk = grow(chunk, size);
        continue;
      }
      if (end + 1 < got) {
        // A torn last line from a crash: never acknowledged, so dropped.
        size -= got - (end + 1);
        await this.#file.truncate(size);
        await this.#file.syncData();
      }
      if (end === -1) return { size, last: undefined };
      const start = buf.lastIndexOf(NEWLINE, end - 1);
      if (start === -1 && chunk < size) {
        chunk = grow(chunk, size);
        continue;
      }
      return { size, last: fromUtf8(buf.subarray(start + 1, end)) };
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new HsmError("unavailable", "Retention ledger is closed");
  }
}

function grow(chunk: number, size: number): number {
  if (chunk >= MAX_LINE) throw new HsmError("integrity_error", "Retention ledger line too long");
  return Math.min(size, chunk * 4);
}
