/**
 * Append-only JSON-lines audit store: one entry per line, in the contract's key order.
 *
 * - Exclusive writer: the log file is opened in append mode and held under a
 *   non-blocking exclusive advisory lock (`tryLock`, flock on Unix) for as long as the
 *   store is open; a second writer (another process, or a second open in this one)
 *   fails fast with HsmError("unavailable"). Advisory: it stops FerroHSM instances, not
 *   a hostile process.
 * - Durability: a batch is one write of all its lines followed by one `syncData`
 *   (fdatasync). On failure the file is truncated back to its last committed length
 *   (retried before the next append when that fails too), so readers never see part of
 *   a batch.
 * - Torn tail: bytes after the last newline can only be an unacknowledged, partially
 *   written batch from a crash (a batch resolves only after its fsync). `open` trims them
 *   and reports the count in `openReport.tornTailBytes`. A complete last line that does
 *   not parse is not a crash artefact: `open` refuses with HsmError("integrity_error").
 * - Reads stream the file in 64 KiB chunks; `list` starts from a sparse in-memory index
 *   (seq → byte offset of every 1024th line) built by the scan at open.
 * - `readOnly` opens (offline verification) take no lock, trim nothing and ignore an
 *   incomplete last line; they build the index lazily on the first `list`/`last`.
 */

import { HsmError } from "../../domain/errors.ts";
import { fromUtf8, utf8 } from "../../core/encoding.ts";
import { parseAuditEntry, serializeEntry } from "../../domain/audit_entry.ts";
import type { AuditStore } from "../ports.ts";
import type { AuditEntry } from "../../domain/audit_entry.ts";
import { exists, syncDir } from "../../util/fs.ts";

/** Options of `FileAuditStore.open`. */
export interface FileAuditStoreOptions {
  /** Open for reading only: no lock, no trimming, `append` throws. */
  readonly readOnly?: boolean;
  /** Index every n-th line (default 1024). */
  readonly indexEvery?: number;
}

/** What `open` found and did. */
export interface FileAuditOpenReport {
  readonly path: string;
  /** The file did not exist and was created. */
  readonly created: boolean;
  /** Complete lines (entries) found at open; 0 for read-only opens. */
  readonly entries: number;
  /** Bytes of an incomplete last line trimmed at open (0 when none). */
  readonly tornTailBytes: number;
}

/** Longest accepted line, in bytes; longer lines are treated as malformed. */
export const MAX_LINE_BYTES = 1 << 20;

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

interface IndexPoint {
  readonly seq: number;
  readonly offset: number;
}

interface Indexed {
  readonly index: IndexPoint[];
  readonly size: number;
  readonly lines: number;
  readonly last: AuditEntry | undefined;
}

/** The JSON-lines file implementation of the AuditStore port. */
export class FileAuditStore implements AuditStore {
  /** What `open` found (torn tail trimmed, entries). */
  readonly openReport: FileAuditOpenReport;
  readonly #path: string;
  #file: Deno.FsFile | undefined;
  readonly #every: number;
  #state: Indexed | undefined;
  #needsRepair = false;
  #closed = false;
  #mutex: Promise<unknown> = Promise.resolve();

  private constructor(
    path: string,
    file: Deno.FsFile | undefined,
    every: number,
    state: Indexed | undefined,
    report: FileAuditOpenReport,
  ) {
    this.#path = path;
    this.#file = file;
    this.#every = every;
    this.#state = state;
    this.openReport = report;
  }

  /**
   * Opens (creating if needed) the log at `path`, takes the writer lock, trims a torn
   * tail and indexes the file.
   * @throws HsmError("unavailable") when another writer holds the lock
   * @throws HsmError("integrity_error") when the last complete line is malformed
   */
  static async open(path: string, options: FileAuditStoreOptions = {}): Promise<FileAuditStore> {
    const every = options.indexEvery ?? 1024;
    if (!Number.isSafeInteger(every) || every < 1) throw new RangeError("Invalid indexEvery");
    if (options.readOnly === true) {
      if (!(await exists(path))) throw new HsmError("not_found", `No audit log at ${path}`);
      const report = { path, created: false, entries: 0, tornTailBytes: 0 };
      return new FileAuditStore(path, undefined, every, undefined, report);
    }
    const dir = parentDir(path);
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const created = !(await exists(path));
    const file = await Deno.open(path, { read: true, append: true, create: true, mode: 0o600 });
    try {
      if (!(await file.tryLock(true))) {
        throw new HsmError("unavailable", `Audit log is locked by another process: ${path}`);
      }
      if (created) await syncDir(dir);
      const state = await buildIndex(path, every);
      const { size: fileSize } = await file.stat();
      const torn = fileSize - state.size;
      if (torn > 0) {
        await file.truncate(state.size);
        await file.syncData();
      }
      const report = { path, created, entries: state.lines, tornTailBytes: torn };
      return new FileAuditStore(path, file, every, state, report);
    } catch (err) {
      file.close();
      throw err;
    }
  }

  /** Appends a batch with one write and one fdatasync. */
  append(entries: readonly AuditEntry[]): Promise<void> {
    const file = this.#file;
    if (file === undefined) return Promise.reject(new TypeError("The audit log is open read-only"));
    if (entries.length === 0) return Promise.resolve();
    return this.#exclusive(async () => {
      const state = this.#open();
      if (this.#needsRepair) {
        await file.truncate(state.size);
        this.#needsRepair = false;
      } else if ((await file.stat()).size !== state.size) {
        throw new HsmError("integrity_error", "Audit log changed on disk outside this store");
      }
      const expected = (state.last?.seq ?? 0) + 1;
      if (entries[0]?.seq !== expected) {
        throw new RangeError(`Audit append must start at seq ${expected}`);
      }
      const lines = entries.map((e) => utf8(`${serializeEntry(e)}\n`));
      if (lines.some((l) => l.length > MAX_LINE_BYTES)) {
        throw new RangeError("Audit entry too long");
      }
      const bytes = joinBytes(lines);
      try {
        let written = 0;
        while (written < bytes.length) written += await file.write(bytes.subarray(written));
        await file.syncData();
      } catch (err) {
        this.#needsRepair = true;
        try {
          await file.truncate(state.size);
          await file.syncData();
          this.#needsRepair = false;
        } catch {
          // Retried before the next append.
        }
        throw err;
      }
      const index = state.index;
      let offset = state.size;
      let count = state.lines;
      entries.forEach((e, i) => {
        if (count % this.#every === 0) index.push({ seq: e.seq, offset });
        offset += (lines[i] as Uint8Array).length;
        count++;
      });
      this.#state = { index, size: offset, lines: count, last: entries[entries.length - 1] };
    });
  }

  /** The last entry, or undefined for an empty log. */
  async last(): Promise<AuditEntry | undefined> {
    return (await this.#indexed()).last;
  }

  /** Entries with seq > afterSeq, ascending, at most `limit`, starting from the index. */
  async list(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError("Invalid limit");
    const out: AuditEntry[] = [];
    if (limit === 0) return out;
    const { index, size } = await this.#indexed();
    let lo = 0;
    let hi = index.length - 1;
    let start = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const point = index[mid] as IndexPoint;
      if (point.seq <= afterSeq + 1) {
        start = point.offset;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    for await (const line of readLines(this.#path, start, size)) {
      const entry = parseLine(line.bytes, line.offset);
      if (entry.seq > afterSeq) out.push(entry);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Every committed entry in file order, streamed.
   * @throws HsmError("integrity_error") at a line that is not a valid entry
   */
  async *scan(): AsyncGenerator<AuditEntry> {
    this.#open();
    const end = this.#file === undefined ? undefined : this.#state?.size;
    for await (const line of readLines(this.#path, 0, end)) {
      yield parseLine(line.bytes, line.offset);
    }
  }

  /** Journal entries (`records` set, or an action of `actions`), ascending. */
  async *journal(actions: readonly string[], afterSeq = 0): AsyncGenerator<AuditEntry> {
    for await (const entry of this.scan()) {
      if (entry.seq <= afterSeq) continue;
      if (entry.records !== undefined || actions.includes(entry.action)) yield entry;
    }
  }

  /**
   * Drops entries with seq ≤ `seq` (archived): the remaining lines are copied to a temp
   * file in the same folder, fsynced and locked, renamed over the log and the folder
   * fsynced; the old file (and its lock) is then released. A crash leaves either the
   * old or the new log, both valid.
   */
  dropThrough(seq: number): Promise<void> {
    const old = this.#file;
    if (old === undefined) return Promise.reject(new TypeError("The audit log is open read-only"));
    return this.#exclusive(async () => {
      const state = this.#open();
      let cut = 0;
      for await (const line of readLines(this.#path, 0, state.size)) {
        if (parseLine(line.bytes, line.offset).seq > seq) break;
        cut = line.end;
      }
      if (cut === 0) return;
      const dir = parentDir(this.#path);
      const tmp = `${this.#path}.${crypto.randomUUID()}.tmp`;
      const next = await Deno.open(tmp, { read: true, append: true, createNew: true, mode: 0o600 });
      try {
        if (!(await next.tryLock(true))) {
          throw new HsmError("unavailable", "Cannot lock the new log");
        }
        using source = await Deno.open(this.#path, { read: true });
        await source.seek(cut, Deno.SeekMode.Start);
        const buf = new Uint8Array(CHUNK);
        for (let left = state.size - cut; left > 0;) {
          const n = await source.read(buf.subarray(0, Math.min(CHUNK, left)));
          if (n === null) throw new HsmError("integrity_error", "Audit log shrank while archiving");
          for (let at = 0; at < n;) at += await next.write(buf.subarray(at, n));
          left -= n;
        }
        await next.syncData();
        await Deno.rename(tmp, this.#path);
      } catch (err) {
        next.close();
        await Deno.remove(tmp).catch(() => undefined);
        throw err;
      }
      await syncDir(dir);
      this.#file = next;
      old.close();
      this.#state = await buildIndex(this.#path, this.#every);
    });
  }

  /** Releases the lock and the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#mutex.catch(() => undefined);
    this.#file?.close();
  }

  async #indexed(): Promise<Indexed> {
    this.#open();
    this.#state ??= await buildIndex(this.#path, this.#every);
    return this.#state;
  }

  #open(): Indexed {
    if (this.#closed) throw new HsmError("unavailable", "Audit log is closed");
    return this.#state ?? { index: [], size: 0, lines: 0, last: undefined };
  }

  #exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.#mutex.then(fn);
    this.#mutex = run.catch(() => undefined);
    return run;
  }
}

interface Line {
  readonly offset: number;
  readonly bytes: Uint8Array;
  /** Offset just past this line's newline. */
  readonly end: number;
}

/** Streams the complete lines in [start, end) (end = EOF when undefined). */
async function* readLines(path: string, start: number, end?: number): AsyncGenerator<Line> {
  using file = await Deno.open(path, { read: true });
  await file.seek(start, Deno.SeekMode.Start);
  let pos = start;
  let lineStart = start;
  let carry: Uint8Array[] = [];
  let carryLen = 0;
  while (end === undefined || pos < end) {
    const buf = new Uint8Array(end === undefined ? CHUNK : Math.min(CHUNK, end - pos));
    const n = await file.read(buf);
    if (n === null || n === 0) break;
    const chunk = buf.subarray(0, n);
    let i = 0;
    for (let j = chunk.indexOf(NEWLINE); j !== -1; j = chunk.indexOf(NEWLINE, i)) {
      const part = chunk.subarray(i, j);
      const bytes = carryLen === 0 ? part : joinBytes([...carry, part]);
      carry = [];
      carryLen = 0;
      yield { offset: lineStart, bytes, end: pos + j + 1 };
      lineStart = pos + j + 1;
      i = j + 1;
    }
    if (i < n) {
      carry.push(chunk.subarray(i));
      carryLen += n - i;
      if (carryLen > MAX_LINE_BYTES) {
        throw new HsmError("integrity_error", `Audit log line at byte ${lineStart} is too long`);
      }
    }
    pos += n;
  }
}

/** Scans the whole file: sparse index, committed size (through the last newline), last entry. */
async function buildIndex(path: string, every: number): Promise<Indexed> {
  const index: IndexPoint[] = [];
  let lines = 0;
  let size = 0;
  let lastLine: Line | undefined;
  for await (const line of readLines(path, 0)) {
    if (lines % every === 0) {
      const entry = parseAuditEntry(tryJson(line.bytes));
      if (entry !== undefined) index.push({ seq: entry.seq, offset: line.offset });
    }
    lines++;
    size = line.end;
    lastLine = line;
  }
  const last = lastLine === undefined ? undefined : parseLine(lastLine.bytes, lastLine.offset);
  return { index, size, lines, last };
}

function parseLine(bytes: Uint8Array, offset: number): AuditEntry {
  const entry = parseAuditEntry(tryJson(bytes));
  if (entry === undefined) {
    throw new HsmError("integrity_error", `Audit log line at byte ${offset} is malformed`);
  }
  return entry;
}

function tryJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(fromUtf8(bytes));
  } catch {
    return undefined;
  }
}

function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function parentDir(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? (cut === 0 ? "/" : ".") : path.slice(0, cut);
}
