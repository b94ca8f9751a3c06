/**
 * KeyStore on the filesystem. Layout under the root (e.g. `<data-dir>/keys`):
 *
 *   .lock                      advisory lock: one process owns the directory
 *   <id>/vNNNNNNNN.json        one immutable sealed version (byte fields base64)
 *   <id>/current.json          {"format":1,"record":KeyRecord,"versions":[1,2,...]}
 *
 * `current.json` is the commit point: a version file counts only once the pointer lists
 * it, so a crash between the two writes leaves an invisible file, never a pointer to a
 * missing version. Every file is written to a temp file in the same folder, fsynced,
 * then renamed over `current.json` (or hard-linked to a version name, which fails if the
 * name exists, so committed versions are never overwritten), and the folder is fsynced.
 * Writers to one key are serialised by an in-process mutex; `list` and `get` answer
 * from an index loaded at open and updated on each write, while versions are read from
 * disk so corrupted files surface (`integrity_error` when unreadable).
 *
 * A purged version's file is replaced by a stub without sealed bytes: the old file is
 * zero-filled, fsynced and unlinked, then the stub is linked in under the same name.
 *
 * Security caveats: files are created 0600 in 0700 folders; destroy and purge overwrite
 * each version file with zeros, fsync and unlink it, but on journaling or copy-on-write
 * filesystems and SSDs old blocks may survive, so this is not a guaranteed secure wipe.
 * Directory fsync uses a read-only handle (works on Linux and macOS); Deno cannot open a
 * directory on Windows, where it is skipped and NTFS metadata journaling is relied on.
 */

import { fromBase64, fromUtf8, toBase64, utf8 } from "../../core/encoding.ts";
import { HsmError } from "../../domain/errors.ts";
import type { KeyListPage, KeyListQuery, KeyStore } from "../ports.ts";
import type { KeyRecord, SealedVersion } from "../../domain/records.ts";
import {
  assertKeyRecord,
  assertListQuery,
  assertNextRevision,
  assertSafeId,
  assertSealedVersion,
  copyKeyRecord,
  isSafeId,
  isValidVersion,
  keyRecordProblem,
  pageKeyRecords,
  purgedStub,
  sealedVersionProblem,
} from "../records.ts";
import { syncDir, writeTempFile } from "../../util/fs.ts";

const CURRENT = "current.json";
const FORMAT = 1;
const TEMP_RE = /^\..+\.tmp$/;
const VERSION_RE = /^v\d{8}\.json$/;

interface Entry {
  readonly record: KeyRecord;
  /** Committed version numbers, ascending. */
  readonly versions: readonly number[];
}

/** A KeyStore keeping one folder per key under a root directory. */
export class FileKeyStore implements KeyStore {
  readonly #root: string;
  readonly #lockFile: Deno.FsFile;
  readonly #index = new Map<string, Entry>();
  readonly #corrupt = new Set<string>();
  readonly #locks = new Map<string, Promise<void>>();
  #closed = false;

  private constructor(root: string, lockFile: Deno.FsFile) {
    this.#root = root;
    this.#lockFile = lockFile;
  }

  /**
   * Opens (creating if needed) the store rooted at `root` and loads its index.
   * @throws HsmError("unavailable") when another process holds the directory lock
   */
  static async open(root: string): Promise<FileKeyStore> {
    await Deno.mkdir(root, { recursive: true, mode: 0o700 });
    const lockFile = await Deno.open(`${root}/.lock`, {
      read: true,
      write: true,
      create: true,
      mode: 0o600,
    });
    try {
      if (!(await lockFile.tryLock(true))) {
        throw new HsmError("unavailable", "Cannot open key store: another process holds its lock");
      }
      const store = new FileKeyStore(root, lockFile);
      await store.#load();
      return store;
    } catch (err) {
      lockFile.close();
      throw err;
    }
  }

  /** Creates a key with its first version. @throws HsmError("conflict") when the id exists. */
  async create(record: KeyRecord, first: SealedVersion): Promise<void> {
    assertSafeId(record.id);
    assertKeyRecord(record);
    assertSealedVersion(first, record.id);
    const id = record.id;
    await this.#withLock(id, async () => {
      if (this.#index.has(id) || this.#corrupt.has(id)) {
        throw new HsmError("conflict", "Cannot create key: the id already exists");
      }
      const dir = this.#dir(id);
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      await syncDir(this.#root);
      await this.#writeVersion(dir, first);
      await this.#commit(dir, record, [first.version], first.version);
    });
  }

  /** The key record, or undefined. @throws HsmError("integrity_error") when unreadable */
  get(id: string): Promise<KeyRecord | undefined> {
    try {
      this.#assertOpen();
      if (!isSafeId(id)) return Promise.resolve(undefined);
      const entry = this.#entry(id);
      return Promise.resolve(entry && copyKeyRecord(entry.record));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Lists keys from the index (unreadable records are left out), by creation then id. */
  list(query: KeyListQuery): Promise<KeyListPage> {
    try {
      this.#assertOpen();
      assertListQuery(query);
      const records = [...this.#index.values()].map((e) => e.record);
      return Promise.resolve(pageKeyRecords(records, query));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Writes the new version file (when given), then moves the pointer.
   * @throws HsmError("conflict") on a stale revision or an existing version
   * @throws HsmError("not_found") when the key does not exist
   */
  async update(record: KeyRecord, newVersion?: SealedVersion): Promise<void> {
    assertKeyRecord(record);
    if (newVersion !== undefined) assertSealedVersion(newVersion, record.id);
    await this.#withLock(record.id, async () => {
      const entry = this.#checkedEntry(record, "update");
      const dir = this.#dir(record.id);
      if (newVersion === undefined) {
        await this.#commit(dir, record, entry.versions);
        return;
      }
      if (entry.versions.includes(newVersion.version)) {
        throw new HsmError("conflict", `Cannot add version ${newVersion.version}: it exists`);
      }
      await this.#writeVersion(dir, newVersion);
      const versions = [...entry.versions, newVersion.version].sort((a, b) => a - b);
      await this.#commit(dir, record, versions, newVersion.version);
    });
  }

  /** One sealed version read from disk, or undefined. @throws HsmError("integrity_error") */
  async getVersion(id: string, version: number): Promise<SealedVersion | undefined> {
    this.#assertOpen();
    if (!isSafeId(id) || !isValidVersion(version)) return undefined;
    return await this.#readVersion(id, version);
  }

  /** Every sealed version of a key, ascending. @throws HsmError("integrity_error") */
  async listVersions(id: string): Promise<SealedVersion[]> {
    this.#assertOpen();
    if (!isSafeId(id)) return [];
    const out: SealedVersion[] = [];
    for (const n of this.#entry(id)?.versions ?? []) {
      const v = await this.#readVersion(id, n);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  /**
   * Rewrites the pointer with the destroyed record (state must be `destroyed`) and no
   * versions, then zero-fills, fsyncs and unlinks each version file. Files that cannot
   * be wiped are no longer visible and are wiped again at the next open.
   * @throws HsmError("conflict") on a stale revision
   * @throws HsmError("not_found") when the key does not exist
   */
  async destroy(record: KeyRecord): Promise<void> {
    assertKeyRecord(record);
    if (record.state !== "destroyed") {
      throw new TypeError("Destroy needs a record in state destroyed");
    }
    await this.#withLock(record.id, async () => {
      this.#checkedEntry(record, "destroy");
      const dir = this.#dir(record.id);
      await this.#commit(dir, record, []);
      // The destroy is committed and the versions are invisible; a failed wipe must not
      // report it as failed. Leftovers of a destroyed key are wiped at the next open.
      await discardAll(dir, (name) => VERSION_RE.test(name) || undefined)
        .catch(() => undefined);
    });
  }

  /**
   * Zero-fills, fsyncs and unlinks the version file, then writes its metadata stub under
   * the same name. A crash in between leaves the version listed without its file, which
   * reads as `integrity_error` (its material is gone either way).
   * @throws HsmError("not_found") when the version does not exist
   */
  async purgeVersion(id: string, version: number, purgedAt: string): Promise<boolean> {
    this.#assertOpen();
    if (!isSafeId(id) || !isValidVersion(version)) {
      throw new HsmError("not_found", `Cannot purge version ${version} of key ${id}: not found`);
    }
    return await this.#withLock(id, async () => {
      const stored = await this.#readVersion(id, version);
      if (stored === undefined) {
        throw new HsmError("not_found", `Cannot purge version ${version} of key ${id}: not found`);
      }
      if (stored.purgedAt !== undefined) return false;
      const dir = this.#dir(id);
      await discard(`${dir}/${versionFileName(version)}`, true);
      await syncDir(dir);
      await this.#writeVersion(dir, purgedStub(stored, purgedAt));
      return true;
    });
  }

  /** Waits for in-flight writes, then releases the directory lock. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#locks.values());
    this.#lockFile.close();
  }

  async #load(): Promise<void> {
    for await (const item of Deno.readDir(this.#root)) {
      if (!item.isDirectory || !isSafeId(item.name)) continue;
      const dir = this.#dir(item.name);
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(`${dir}/${CURRENT}`);
      } catch (err) {
        // A folder without a pointer is an interrupted create: nothing in it is visible.
        if (err instanceof Deno.errors.NotFound) continue;
        throw err;
      }
      let entry: Entry;
      try {
        entry = decodeCurrent(bytes, item.name);
      } catch (err) {
        if (!(err instanceof HsmError)) throw err;
        this.#corrupt.add(item.name);
        continue;
      }
      this.#index.set(item.name, entry);
      // Leftovers of interrupted writes; a destroyed key also loses unwiped versions.
      const destroyed = entry.record.state === "destroyed";
      await discardAll(dir, (name) => {
        if (destroyed && VERSION_RE.test(name)) return true;
        return TEMP_RE.test(name) ? false : undefined;
      });
    }
  }

  /** Writes a version file exclusively; an uncommitted leftover of the same name is wiped. */
  async #writeVersion(dir: string, version: SealedVersion): Promise<void> {
    const name = versionFileName(version.version);
    await discard(`${dir}/${name}`);
    const tmp = await writeTempFile(dir, name, utf8(encodeVersion(version)));
    try {
      await Deno.link(tmp, `${dir}/${name}`);
    } catch (err) {
      await discard(tmp);
      if (err instanceof Deno.errors.AlreadyExists) {
        throw new HsmError("conflict", `Cannot add version ${version.version}: it exists`);
      }
      throw err;
    }
    await Deno.remove(tmp);
    await syncDir(dir);
  }

  /**
   * Moves the pointer (the commit point) and updates the index. When the pointer could
   * not be replaced, the just-written version file `added` is wiped again.
   */
  async #commit(
    dir: string,
    record: KeyRecord,
    versions: readonly number[],
    added?: number,
  ): Promise<void> {
    const body = { format: FORMAT, record, versions };
    const tmp = await writeTempFile(dir, CURRENT, utf8(JSON.stringify(body)))
      .catch(async (err) => {
        if (added !== undefined) await discard(`${dir}/${versionFileName(added)}`);
        throw err;
      });
    try {
      await Deno.rename(tmp, `${dir}/${CURRENT}`);
    } catch (err) {
      await Deno.remove(tmp).catch(() => undefined);
      if (added !== undefined) await discard(`${dir}/${versionFileName(added)}`);
      throw err;
    }
    this.#index.set(record.id, { record: copyKeyRecord(record), versions: [...versions] });
    await syncDir(dir);
  }

  async #readVersion(id: string, version: number): Promise<SealedVersion | undefined> {
    if (!this.#entry(id)?.versions.includes(version)) return undefined;
    const stillCommitted = () => this.#index.get(id)?.versions.includes(version) ?? false;
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(`${this.#dir(id)}/${versionFileName(version)}`);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      // A concurrent destroy may have removed it since we looked.
      if (!stillCommitted()) return undefined;
      throw new HsmError("integrity_error", `Cannot read version ${version} of key ${id}: missing`);
    }
    try {
      return decodeVersion(bytes, id, version);
    } catch (err) {
      if (err instanceof HsmError && !stillCommitted()) return undefined;
      throw err;
    }
  }

  /** The index entry; throws integrity_error for a key whose pointer is unreadable. */
  #entry(id: string): Entry | undefined {
    if (this.#corrupt.has(id)) {
      throw new HsmError("integrity_error", `Cannot read key ${id}: its record is unreadable`);
    }
    return this.#index.get(id);
  }

  #checkedEntry(record: KeyRecord, verb: string): Entry {
    const entry = this.#entry(record.id);
    assertNextRevision(entry?.record, record, `${verb} key`);
    return entry as Entry;
  }

  /** Runs `step` after every earlier writer of the same key has finished. */
  async #withLock<T>(id: string, step: () => Promise<T>): Promise<T> {
    this.#assertOpen();
    const previous = this.#locks.get(id) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#locks.set(id, tail);
    try {
      await previous;
      return await step();
    } finally {
      release();
      if (this.#locks.get(id) === tail) this.#locks.delete(id);
    }
  }

  #dir(id: string): string {
    return `${this.#root}/${id}`;
  }

  #assertOpen(): void {
    if (this.#closed) throw new HsmError("unavailable", "Key store is closed");
  }
}

/** The file name of a version: `v` and eight zero-padded digits. */
export function versionFileName(version: number): string {
  return `v${String(version).padStart(8, "0")}.json`;
}

function encodeVersion(v: SealedVersion): string {
  return JSON.stringify({
    format: FORMAT,
    keyId: v.keyId,
    version: v.version,
    algorithm: v.algorithm,
    usage: v.usage,
    createdAt: v.createdAt,
    ...(v.sourceVersion === undefined ? {} : { sourceVersion: v.sourceVersion }),
    ...(v.purgedAt === undefined ? {} : { purgedAt: v.purgedAt }),
    nonce: toBase64(v.nonce),
    ciphertext: toBase64(v.ciphertext),
    mac: toBase64(v.mac),
  });
}

function decodeVersion(bytes: Uint8Array, id: string, version: number): SealedVersion {
  const what = `version ${version} of key ${id}`;
  const obj = parseJson(bytes, what);
  const bytesOf = (v: unknown) => typeof v === "string" ? fromBase64(v) : undefined;
  const candidate = {
    keyId: obj.keyId,
    version: obj.version,
    algorithm: obj.algorithm,
    usage: obj.usage,
    createdAt: obj.createdAt,
    ...(obj.sourceVersion === undefined ? {} : { sourceVersion: obj.sourceVersion }),
    ...(obj.purgedAt === undefined ? {} : { purgedAt: obj.purgedAt }),
    nonce: bytesOf(obj.nonce),
    ciphertext: bytesOf(obj.ciphertext),
    mac: bytesOf(obj.mac),
  };
  const problem = obj.format === FORMAT ? sealedVersionProblem(candidate) : "unknown format";
  if (problem !== undefined) {
    throw new HsmError("integrity_error", `Cannot read ${what}: ${problem}`);
  }
  if (candidate.keyId !== id || candidate.version !== version) {
    throw new HsmError("integrity_error", `Cannot read ${what}: the file names another version`);
  }
  return candidate as SealedVersion;
}

function decodeCurrent(bytes: Uint8Array, id: string): Entry {
  const what = `key ${id}`;
  const obj = parseJson(bytes, what);
  const versions = obj.versions;
  let problem = obj.format === FORMAT ? keyRecordProblem(obj.record) : "unknown format";
  if (problem === undefined && (obj.record as KeyRecord).id !== id) {
    problem = "the record names another key";
  }
  if (
    problem === undefined &&
    (!Array.isArray(versions) || !versions.every(isValidVersion) ||
      new Set(versions).size !== versions.length)
  ) problem = "the version list is malformed";
  if (problem !== undefined) {
    throw new HsmError("integrity_error", `Cannot read ${what}: ${problem}`);
  }
  const list = (versions as number[]).slice().sort((a, b) => a - b);
  return { record: copyKeyRecord(obj.record as KeyRecord), versions: list };
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(bytes));
  } catch {
    throw new HsmError("integrity_error", `Cannot read ${what}: the file is not valid JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HsmError("integrity_error", `Cannot read ${what}: the file is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Zero-fills, fsyncs and unlinks a file; missing files are ignored. Unless `always`, a
 * file with another hard link (a temp name still linked to a committed version) is only
 * unlinked, so cleaning up a temp name never zeroes live data.
 */
async function discard(path: string, always = false): Promise<void> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  try {
    const { size, nlink } = await file.stat();
    if (always || nlink === null || nlink <= 1) {
      const zeros = new Uint8Array(Math.min(size, 65536));
      for (let at = 0; at < size;) {
        at += await file.write(zeros.subarray(0, Math.min(zeros.length, size - at)));
      }
      await file.sync();
    }
  } finally {
    file.close();
  }
  await Deno.remove(path).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
}

/**
 * Discards every file in `dir` for which `zero` says something (true: always zero-fill,
 * false: only when not linked elsewhere), then fsyncs the folder.
 */
async function discardAll(
  dir: string,
  zero: (name: string) => boolean | undefined,
): Promise<void> {
  let removed = false;
  for await (const item of Deno.readDir(dir)) {
    const always = item.isFile ? zero(item.name) : undefined;
    if (always !== undefined) {
      await discard(`${dir}/${item.name}`, always);
      removed = true;
    }
  }
  if (removed) await syncDir(dir);
}
