/**
 * PolicyStore on the filesystem, used beside the filesystem key store. Layout under the
 * root (e.g. `<data-dir>/policies`):
 *
 *   .lock                      advisory lock: one process owns the directory
 *   <id>/vNNNNNNNN.json        one immutable policy version
 *
 * A version is written to a temp file, fsynced and hard-linked to its name (which fails
 * when the name exists, so a committed version is never overwritten), then the folder is
 * fsynced. The latest version of a policy is its highest-numbered file. An index of the
 * latest versions is loaded at open and kept in step by writes; reads of one version go
 * to disk, so a damaged file surfaces as `integrity_error`.
 */

import { fromUtf8, utf8 } from "../../core/encoding.ts";
import { HsmError } from "../../domain/errors.ts";
import type { PolicyVersionRecord } from "../../domain/policies.ts";
import type { PolicyStore } from "../ports.ts";
import { checkNextPolicyVersion } from "../policy_versions.ts";
import {
  assertPolicyVersion,
  compareByCreation,
  copyPolicyVersion,
  isSafeId,
  isValidVersion,
  policyVersionProblem,
} from "../records.ts";
import { syncDir, writeTempFile } from "../../util/fs.ts";
import { versionFileName } from "./key_store.ts";

const VERSION_RE = /^v(\d{8})\.json$/;
const FORMAT = 1;

/** A PolicyStore keeping one folder per policy under a root directory. */
export class FilePolicyStore implements PolicyStore {
  readonly #root: string;
  readonly #lockFile: Deno.FsFile;
  /** Latest version of each policy. */
  readonly #latest = new Map<string, PolicyVersionRecord>();
  #writing: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(root: string, lockFile: Deno.FsFile) {
    this.#root = root;
    this.#lockFile = lockFile;
  }

  /**
   * Opens (creating if needed) the store at `root` and indexes the latest versions.
   * @throws HsmError("unavailable") when another process holds the lock
   * @throws HsmError("integrity_error") when a latest version cannot be read
   */
  static async open(root: string): Promise<FilePolicyStore> {
    await Deno.mkdir(root, { recursive: true, mode: 0o700 });
    const lockFile = await Deno.open(`${root}/.lock`, {
      read: true,
      write: true,
      create: true,
      mode: 0o600,
    });
    try {
      if (!(await lockFile.tryLock(true))) {
        throw new HsmError("unavailable", "Cannot open policy store: another process holds it");
      }
      const store = new FilePolicyStore(root, lockFile);
      for await (const item of Deno.readDir(root)) {
        if (!item.isDirectory || !isSafeId(item.name)) continue;
        const numbers = await store.#numbers(item.name);
        const last = numbers.at(-1);
        if (last !== undefined) {
          store.#latest.set(item.name, await store.#read(item.name, last) as PolicyVersionRecord);
        }
      }
      return store;
    } catch (err) {
      lockFile.close();
      throw err;
    }
  }

  /** Adds a version (1 creates; n + 1 follows the latest). */
  put(record: PolicyVersionRecord): Promise<void> {
    assertPolicyVersion(record);
    const run = this.#writing.then(async () => {
      this.#assertOpen();
      checkNextPolicyVersion(this.#latest.get(record.id)?.version, record);
      const dir = `${this.#root}/${record.id}`;
      if (record.version === 1) {
        await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
        await syncDir(this.#root);
      }
      const name = versionFileName(record.version);
      const body = utf8(JSON.stringify({ format: FORMAT, ...record }));
      const tmp = await writeTempFile(dir, name, body);
      try {
        await Deno.link(tmp, `${dir}/${name}`);
      } catch (err) {
        if (err instanceof Deno.errors.AlreadyExists) {
          throw new HsmError("conflict", `Cannot write policy ${record.id}: version exists`);
        }
        throw err;
      } finally {
        await Deno.remove(tmp).catch(() => undefined);
      }
      await syncDir(dir);
      this.#latest.set(record.id, copyPolicyVersion(record));
    });
    this.#writing = run.catch(() => undefined);
    return run;
  }

  /** The latest version, or undefined. */
  latest(id: string): Promise<PolicyVersionRecord | undefined> {
    try {
      this.#assertOpen();
      const found = this.#latest.get(id);
      return Promise.resolve(found && copyPolicyVersion(found));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** One version read from disk, or undefined. */
  async version(id: string, version: number): Promise<PolicyVersionRecord | undefined> {
    this.#assertOpen();
    if (!isSafeId(id) || !isValidVersion(version)) return undefined;
    return await this.#read(id, version);
  }

  /** Every version read from disk, ascending. */
  async versions(id: string): Promise<PolicyVersionRecord[]> {
    this.#assertOpen();
    if (!isSafeId(id) || !this.#latest.has(id)) return [];
    const out: PolicyVersionRecord[] = [];
    for (const n of await this.#numbers(id)) {
      const record = await this.#read(id, n);
      if (record !== undefined) out.push(record);
    }
    return out;
  }

  /** The latest version of every policy, by creation time then id. */
  list(): Promise<PolicyVersionRecord[]> {
    try {
      this.#assertOpen();
      return Promise.resolve(
        [...this.#latest.values()].sort(compareByCreation).map(
          copyPolicyVersion,
        ),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Waits for the write in flight, then releases the lock. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writing;
    this.#lockFile.close();
  }

  async #numbers(id: string): Promise<number[]> {
    const numbers: number[] = [];
    try {
      for await (const item of Deno.readDir(`${this.#root}/${id}`)) {
        const m = item.isFile ? VERSION_RE.exec(item.name) : null;
        if (m !== null) numbers.push(Number(m[1]));
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    return numbers.sort((a, b) => a - b);
  }

  async #read(id: string, version: number): Promise<PolicyVersionRecord | undefined> {
    let text: string;
    try {
      text = fromUtf8(await Deno.readFile(`${this.#root}/${id}/${versionFileName(version)}`));
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
    const { format, ...record } = (value ?? {}) as Record<string, unknown>;
    const problem = format === FORMAT ? policyVersionProblem(record) : "unknown format";
    if (problem !== undefined || record.id !== id || record.version !== version) {
      throw new HsmError(
        "integrity_error",
        `Cannot read version ${version} of policy ${id}: ${problem ?? "it names another version"}`,
      );
    }
    return record as unknown as PolicyVersionRecord;
  }

  #assertOpen(): void {
    if (this.#closed) throw new HsmError("unavailable", "Policy store is closed");
  }
}
