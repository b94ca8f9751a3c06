/**
 * Test fixtures for KeyStore adapters: fake records and sealed versions (random bytes;
 * the stores treat every field as opaque), and one opener per adapter that also knows
 * how to damage its stored data the way an attacker with disk access would. Service
 * tests reuse these to exercise MAC checks against every adapter.
 */

import { fromBase64, toBase64 } from "../../src/core/encoding.ts";
import { FileKeyStore, versionFileName } from "../../src/storage/file/key_store.ts";
import { MemoryKeyStore } from "../../src/storage/memory/key_store.ts";
import type { KeyStore } from "../../src/storage/ports.ts";
import type { KeyRecord, SealedVersion } from "../../src/domain/records.ts";
import { type Database, openDatabase } from "../../src/storage/sqlite/database.ts";
import { AuditWriterThread } from "../../src/storage/sqlite/audit_writer.ts";
import { SqliteKeyStore } from "../../src/storage/sqlite/key_store.ts";

/** A live store plus the hooks its adapter supports. */
export interface KeyStoreFixture {
  /** The current store (replaced by `reopen` and `corruptRecord`). */
  readonly store: KeyStore;
  /** Flips one byte of the stored ciphertext of a version. */
  readonly tamper?: (id: string, version: number) => Promise<void>;
  /** Makes a stored version unparsable. */
  readonly corruptVersion?: (id: string, version: number) => Promise<void>;
  /** Makes a stored key record unparsable (reopening the store where it caches records). */
  readonly corruptRecord?: (id: string) => Promise<void>;
  /** Closes the store and opens a new one over the same data. */
  readonly reopen?: () => Promise<void>;
  /** Closes the store and deletes its data. */
  cleanup(): Promise<void>;
}

/** A FileKeyStore fixture also names the store's root directory. */
export interface FileKeyStoreFixture extends KeyStoreFixture {
  readonly root: string;
}

/** Opens a fresh store of one adapter. */
export type KeyStoreOpener = () => Promise<KeyStoreFixture>;

let clock = 0;

/** A distinct ISO timestamp on every call (a deterministic test clock). */
export function nextTimestamp(): string {
  clock += 1;
  return new Date(Date.UTC(2025, 0, 1) + clock * 1000).toISOString();
}

/** Random bytes of the given length. */
export function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** A fresh random record id. */
export function randomId(): string {
  return `key_${crypto.randomUUID().replaceAll("-", "")}`;
}

/** A plausible key record at revision 1, version 1. */
export function fakeRecord(changes: Partial<KeyRecord> = {}): KeyRecord {
  const at = changes.createdAt ?? nextTimestamp();
  return {
    id: randomId(),
    name: "test key",
    algorithm: "AES-256-GCM",
    usage: ["encrypt", "decrypt"],
    tags: {},
    state: "active",
    currentVersion: 1,
    dualControl: false,
    createdAt: at,
    updatedAt: at,
    revision: 1,
    mac: toBase64(randomBytes(48)),
    ...changes,
  };
}

/** A sealed version of `record` with random nonce, ciphertext and MAC. */
export function fakeVersion(
  record: KeyRecord,
  version: number,
  changes: Partial<SealedVersion> = {},
): SealedVersion {
  return {
    keyId: record.id,
    version,
    algorithm: record.algorithm,
    usage: [...record.usage],
    createdAt: nextTimestamp(),
    nonce: randomBytes(12),
    ciphertext: randomBytes(48),
    mac: randomBytes(48),
    ...changes,
  };
}

/** The record as the next write would store it: revision + 1, a new timestamp and MAC. */
export function nextRecord(record: KeyRecord, changes: Partial<KeyRecord> = {}): KeyRecord {
  return {
    ...record,
    revision: record.revision + 1,
    updatedAt: nextTimestamp(),
    mac: toBase64(randomBytes(48)),
    ...changes,
  };
}

/** A MemoryKeyStore fixture (no tamper hooks: its state is unreachable by design). */
export function openMemoryFixture(): Promise<KeyStoreFixture> {
  const store = new MemoryKeyStore();
  return Promise.resolve({ store, cleanup: () => store.close() });
}

/** A FileKeyStore fixture on a fresh temp dir (`<tmp>/keys`). */
export async function openFileFixture(): Promise<FileKeyStoreFixture> {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm_keys_" });
  const root = `${dir}/keys`;
  let store = await FileKeyStore.open(root);
  const versionPath = (id: string, v: number) => `${root}/${id}/${versionFileName(v)}`;
  const reopen = async () => {
    await store.close();
    store = await FileKeyStore.open(root);
  };
  return {
    get store() {
      return store;
    },
    root,
    async tamper(id: string, version: number) {
      const path = versionPath(id, version);
      const json = JSON.parse(await Deno.readTextFile(path));
      const bytes = fromBase64(json.ciphertext);
      if (bytes === undefined || bytes.length === 0) throw new Error("no ciphertext to tamper");
      bytes[0] = (bytes[0] as number) ^ 0x01;
      json.ciphertext = toBase64(bytes);
      await Deno.writeTextFile(path, JSON.stringify(json));
    },
    async corruptVersion(id: string, version: number) {
      await Deno.writeTextFile(versionPath(id, version), "{not json");
    },
    async corruptRecord(id: string) {
      await Deno.writeTextFile(`${root}/${id}/current.json`, "{not json");
      await reopen();
    },
    reopen,
    async cleanup() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A SqliteKeyStore fixture on a fresh database file in a temp dir. */
export async function openSqliteFixture(
  options: { writerThread?: boolean } = {},
): Promise<KeyStoreFixture> {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm_sqlite_" });
  const path = `${dir}/ferrohsm.db`;
  let database = await openDatabase(path);
  /** Key creations on a writer thread of their own, as the server runs them. */
  const open = async (db: Database) =>
    new SqliteKeyStore(db, {
      ownsDatabase: true,
      ...(options.writerThread === true ? { writer: await AuditWriterThread.start(path) } : {}),
    });
  let store = await open(database);
  return {
    get store() {
      return store;
    },
    async tamper(id: string, version: number) {
      const rs = await database.client.execute({
        sql: "SELECT ciphertext FROM key_versions WHERE key_id = ? AND version = ?",
        args: [id, version],
      });
      const blob = rs.rows[0]?.ciphertext;
      if (!(blob instanceof ArrayBuffer) || blob.byteLength === 0) {
        throw new Error("no ciphertext to tamper");
      }
      const bytes = new Uint8Array(blob.slice(0));
      bytes[0] = (bytes[0] as number) ^ 0x01;
      await database.client.execute({
        sql: "UPDATE key_versions SET ciphertext = ? WHERE key_id = ? AND version = ?",
        args: [bytes, id, version],
      });
    },
    async corruptVersion(id: string, version: number) {
      await database.client.execute({
        sql: "UPDATE key_versions SET usage = '{not json' WHERE key_id = ? AND version = ?",
        args: [id, version],
      });
    },
    async corruptRecord(id: string) {
      await database.client.execute({
        sql: "UPDATE keys SET tags = '{not json' WHERE id = ?",
        args: [id],
      });
    },
    async reopen() {
      await store.close();
      database = await openDatabase(path);
      store = await open(database);
    },
    async cleanup() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
