/**
 * In-memory KeyStore for tests and `--key-store memory` development runs. Everything is
 * lost when the process exits. Records and versions are deep-copied on the way in and
 * out, so callers can never mutate stored state through a reference they hold.
 *
 * Each method runs without an `await` between its check and its write, so in a single
 * JavaScript thread every write is atomic and the revision check is race-free.
 */

import { HsmError } from "../../domain/errors.ts";
import { wipe } from "../../core/zeroize.ts";
import type { KeyListPage, KeyListQuery, KeyStore } from "../ports.ts";
import type { KeyRecord, SealedVersion } from "../../domain/records.ts";
import {
  assertKeyRecord,
  assertListQuery,
  assertNextRevision,
  assertSafeId,
  assertSealedVersion,
  copyKeyRecord,
  copySealedVersion,
  pageKeyRecords,
  purgedStub,
} from "../records.ts";

interface Entry {
  record: KeyRecord;
  versions: Map<number, SealedVersion>;
}

/** A KeyStore held in process memory. */
export class MemoryKeyStore implements KeyStore {
  #keys = new Map<string, Entry>();
  #closed = false;

  /** Creates a key with its first version. @throws HsmError("conflict") when the id exists. */
  create(record: KeyRecord, first: SealedVersion): Promise<void> {
    return this.#run(() => {
      assertSafeId(record.id);
      assertKeyRecord(record);
      assertSealedVersion(first, record.id);
      if (this.#keys.has(record.id)) {
        throw new HsmError("conflict", "Cannot create key: the id already exists");
      }
      this.#keys.set(record.id, {
        record: copyKeyRecord(record),
        versions: new Map([[first.version, copySealedVersion(first)]]),
      });
    });
  }

  /** The key record, or undefined. */
  get(id: string): Promise<KeyRecord | undefined> {
    return this.#run(() => {
      const entry = this.#keys.get(id);
      return entry && copyKeyRecord(entry.record);
    });
  }

  /** Lists keys matching the filters, ordered by creation time then id. */
  list(query: KeyListQuery): Promise<KeyListPage> {
    return this.#run(() => {
      assertListQuery(query);
      return pageKeyRecords([...this.#keys.values()].map((e) => e.record), query);
    });
  }

  /**
   * Replaces the record and optionally adds a version.
   * @throws HsmError("conflict") on a stale revision or an existing version
   * @throws HsmError("not_found") when the key does not exist
   */
  update(record: KeyRecord, newVersion?: SealedVersion): Promise<void> {
    return this.#run(() => {
      assertKeyRecord(record);
      if (newVersion !== undefined) assertSealedVersion(newVersion, record.id);
      const entry = this.#checkedEntry(record, "update");
      if (newVersion !== undefined && entry.versions.has(newVersion.version)) {
        throw new HsmError("conflict", `Cannot add version ${newVersion.version}: it exists`);
      }
      entry.record = copyKeyRecord(record);
      if (newVersion !== undefined) {
        entry.versions.set(newVersion.version, copySealedVersion(newVersion));
      }
    });
  }

  /** One sealed version, or undefined. */
  getVersion(id: string, version: number): Promise<SealedVersion | undefined> {
    return this.#run(() => {
      const v = this.#keys.get(id)?.versions.get(version);
      return v && copySealedVersion(v);
    });
  }

  /** Every sealed version of a key, ascending. */
  listVersions(id: string): Promise<SealedVersion[]> {
    return this.#run(() => {
      const versions = [...(this.#keys.get(id)?.versions.values() ?? [])];
      versions.sort((a, b) => a.version - b.version);
      return versions.map(copySealedVersion);
    });
  }

  /**
   * Stores the destroyed record (its state must be `destroyed`) and drops every version.
   * @throws HsmError("conflict") on a stale revision
   * @throws HsmError("not_found") when the key does not exist
   */
  destroy(record: KeyRecord): Promise<void> {
    return this.#run(() => {
      assertKeyRecord(record);
      if (record.state !== "destroyed") {
        throw new TypeError("Destroy needs a record in state destroyed");
      }
      const entry = this.#checkedEntry(record, "destroy");
      entry.record = copyKeyRecord(record);
      // Zero the copies we own before dropping them.
      for (const v of entry.versions.values()) wipe(v.nonce, v.ciphertext, v.mac);
      entry.versions.clear();
    });
  }

  /**
   * Zeroes the version's bytes and keeps its metadata stub.
   * @throws HsmError("not_found") when the version does not exist
   */
  purgeVersion(id: string, version: number, purgedAt: string): Promise<boolean> {
    return this.#run(() => {
      const versions = this.#keys.get(id)?.versions;
      const stored = versions?.get(version);
      if (versions === undefined || stored === undefined) {
        throw new HsmError("not_found", `Cannot purge version ${version} of key ${id}: not found`);
      }
      if (stored.purgedAt !== undefined) return false;
      versions.set(version, purgedStub(stored, purgedAt));
      wipe(stored.nonce, stored.ciphertext, stored.mac);
      return true;
    });
  }

  /** Marks the store closed; later calls fail with `unavailable`. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #checkedEntry(record: KeyRecord, verb: string): Entry {
    const entry = this.#keys.get(record.id);
    assertNextRevision(entry?.record, record, `${verb} key`);
    return entry as Entry;
  }

  /** Runs a synchronous step as a promise, so every failure is a rejection. */
  #run<T>(step: () => T): Promise<T> {
    try {
      if (this.#closed) throw new HsmError("unavailable", "Key store is closed");
      return Promise.resolve(step());
    } catch (err) {
      return Promise.reject(err);
    }
  }
}
