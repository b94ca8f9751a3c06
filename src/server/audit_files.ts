/**
 * Where a data dir keeps its audit log and anchor, and offline verification of that
 * log (`ferrohsm audit verify`): opens the configured store adapters and runs the same
 * chain and record-journal verification the server runs online.
 */

import { join } from "node:path";
import { AuditLog } from "../audit/audit_log.ts";
import { deriveAuditMacKey } from "../audit/chain.ts";
import { type VerifyResult, verifyStore } from "../audit/verify.ts";
import {
  type JournaledStores,
  mismatches,
  verifyChainJournal,
  verifyStoreAndRecords,
} from "../audit/verify_records.ts";
import type { RecordRef } from "../domain/audit_entry.ts";
import { HsmError, isHsmError } from "../domain/errors.ts";
import { FileAnchorStore } from "../storage/file/anchor_store.ts";
import { FileAuditArchiveStore } from "../storage/file/audit_archive_store.ts";
import { FileAuditStore } from "../storage/file/audit_store.ts";
import { FileKeyStore } from "../storage/file/key_store.ts";
import type { AuditStore, KeyStore } from "../storage/ports.ts";
import { SqliteApprovalStore } from "../storage/sqlite/approval_store.ts";
import { SqliteAuditStore } from "../storage/sqlite/audit_store.ts";
import { type Database, openDatabase } from "../storage/sqlite/database.ts";
import { SqliteKeyStore } from "../storage/sqlite/key_store.ts";
import { exists } from "../util/fs.ts";
import type { PostgresConfig } from "../config/config.ts";
import { openPostgres } from "../storage/postgres/database.ts";
import { PostgresAnchorStore, PostgresAuditStore } from "../storage/postgres/audit_store.ts";
import { PostgresKeyStore } from "../storage/postgres/key_store.ts";
import { PostgresApprovalStore } from "../storage/postgres/approval_store.ts";
import { PostgresAuditArchiveStore } from "../storage/postgres/audit_archive_store.ts";

/** Where the audit files of a data directory live. */
export interface AuditPaths {
  /** `<dataDir>/audit` */
  readonly dir: string;
  /** File store log: `<dataDir>/audit/audit.log` */
  readonly logFile: string;
  /** File store anchor: `<dataDir>/audit/anchor.json` */
  readonly fileAnchor: string;
  /** SQLite database: `sqlitePath ?? <dataDir>/ferrohsm.db` */
  readonly sqliteFile: string;
  /** SQLite store anchor: `<dataDir>/audit/anchor-sqlite.json` */
  readonly sqliteAnchor: string;
  /** File store archive (segments and base): `<dataDir>/audit/archive` */
  readonly fileArchive: string;
  /** SQLite store archive: `<dataDir>/audit/archive-sqlite` */
  readonly sqliteArchive: string;
}

/** Options of `verifyAuditStore`. */
export interface VerifyAuditStoreOptions {
  readonly dataDir: string;
  /** The operator's raw 32-byte HMAC key. */
  readonly hmacKey: Uint8Array;
  readonly store: "file" | "sqlite" | "postgres";
  readonly sqlitePath?: string | undefined;
  /** Where the key records are (checked against the chain's record journal); default sqlite. */
  readonly keyStore?: "memory" | "filesystem" | "sqlite" | "postgres" | undefined;
  /** Where the approvals are; default sqlite. */
  readonly approvalStore?: "memory" | "sqlite" | "postgres" | undefined;
  /** The shared database, for the postgres stores. */
  readonly postgres?: Omit<PostgresConfig, "strictRateLimit" | "nodeTimeout"> | undefined;
  /** Called with the number of entries checked so far, every PROGRESS_INTERVAL entries. */
  readonly onProgress?: ((entries: number) => void) | undefined;
}

/** The audit file locations for a data directory (and optional SQLite path). */
export function auditPaths(dataDir: string, sqlitePath?: string): AuditPaths {
  const base = dataDir.length > 1 ? dataDir.replace(/\/+$/, "") : dataDir;
  const dir = `${base}/audit`;
  return {
    dir,
    logFile: `${dir}/audit.log`,
    fileAnchor: `${dir}/anchor.json`,
    sqliteFile: sqlitePath ?? `${base}/ferrohsm.db`,
    sqliteAnchor: `${dir}/anchor-sqlite.json`,
    fileArchive: `${dir}/archive`,
    sqliteArchive: `${dir}/archive-sqlite`,
  };
}

/**
 * Offline verification of a data directory's audit log with the operator's HMAC key
 * (derived exactly as the server does), then of every key record and approval against
 * the revision the log last committed for it. The file audit store is opened read-only
 * without the writer's lock, so it also works while the server runs; a filesystem key
 * store is locked by a running server (verify online then).
 * @throws HsmError("not_found") when there is neither a log nor an anchor
 * @throws HsmError("unavailable") when a running server holds the filesystem key store
 */
export async function verifyAuditStore(opts: VerifyAuditStoreOptions): Promise<VerifyResult> {
  if (opts.store === "postgres") return await verifyPostgres(opts);
  const paths = auditPaths(opts.dataDir, opts.sqlitePath);
  const macKey = await deriveAuditMacKey(opts.hmacKey);
  const anchor = new FileAnchorStore(
    opts.store === "file" ? paths.fileAnchor : paths.sqliteAnchor,
  );
  const logPath = opts.store === "file" ? paths.logFile : paths.sqliteFile;
  const closers: (() => Promise<void> | void)[] = [];
  try {
    let database: Database | undefined;
    const db = async () => {
      if (database === undefined) {
        database = await openDatabase(paths.sqliteFile);
        closers.push(() => database?.close());
      }
      return database;
    };
    if (!(await exists(logPath))) {
      if (!(await exists(anchor.path))) {
        throw new HsmError("not_found", `No audit log at ${logPath}`);
      }
      return await verifyStore(emptyStore(), macKey, anchor);
    }
    let store: AuditStore;
    if (opts.store === "file") {
      const file = await FileAuditStore.open(logPath, { readOnly: true });
      closers.unshift(() => file.close());
      store = file;
    } else {
      store = new SqliteAuditStore(await db());
    }
    const records = await openRecordStores(opts, db, closers);
    const archive = new FileAuditArchiveStore(
      opts.store === "file" ? paths.fileArchive : paths.sqliteArchive,
    );
    return await verifyStoreAndRecords(store, macKey, {
      anchor,
      records,
      archive,
      onProgress: opts.onProgress,
    });
  } finally {
    for (const close of closers) await close();
    macKey.close();
  }
}

/**
 * Offline verification of the shared PostgreSQL log (the chain head row is its anchor)
 * and of every key record and approval in the database against it. Reads only: the
 * schema is not migrated.
 */
async function verifyPostgres(opts: VerifyAuditStoreOptions): Promise<VerifyResult> {
  if (opts.postgres === undefined) {
    throw new HsmError("invalid_request", "Cannot verify the postgres audit log: no database URL");
  }
  const macKey = await deriveAuditMacKey(opts.hmacKey);
  const database = await openPostgres({
    ...opts.postgres,
    maxConnections: 2,
    skipMigrations: true,
  });
  try {
    return await verifyStoreAndRecords(new PostgresAuditStore(database), macKey, {
      anchor: new PostgresAnchorStore(database),
      archive: new PostgresAuditArchiveStore(database),
      records: {
        keys: opts.keyStore === "postgres" ? new PostgresKeyStore(database) : undefined,
        approvals: opts.approvalStore === "postgres"
          ? new PostgresApprovalStore(database)
          : undefined,
      },
      onProgress: opts.onProgress,
    });
  } finally {
    await database.close();
    macKey.close();
  }
}

async function openRecordStores(
  opts: Pick<VerifyAuditStoreOptions, "dataDir" | "sqlitePath" | "keyStore" | "approvalStore">,
  db: () => Promise<Database>,
  closers: (() => Promise<void> | void)[],
): Promise<JournaledStores> {
  const keyKind = opts.keyStore ?? "sqlite";
  const approvalKind = opts.approvalStore ?? "sqlite";
  let keys: KeyStore | undefined;
  if (keyKind === "sqlite" && await exists(auditPaths(opts.dataDir, opts.sqlitePath).sqliteFile)) {
    keys = new SqliteKeyStore(await db());
  } else if (keyKind === "filesystem" && await exists(join(opts.dataDir, "keys"))) {
    try {
      const files = await FileKeyStore.open(join(opts.dataDir, "keys"));
      closers.unshift(() => files.close());
      keys = files;
    } catch (err) {
      if (!isHsmError(err, "unavailable")) throw err;
      throw new HsmError(
        "unavailable",
        "Cannot verify the key records offline: a running server holds the key store (verify with --online, or stop it)",
      );
    }
  }
  const approvals = approvalKind === "sqlite" &&
      await exists(auditPaths(opts.dataDir, opts.sqlitePath).sqliteFile)
    ? new SqliteApprovalStore(await db())
    : undefined;
  return { keys, approvals };
}

/** Options of `reanchorAuditLog`. */
export interface ReanchorOptions {
  readonly dataDir: string;
  readonly hmacKey: Uint8Array;
  readonly store: "file" | "sqlite";
  readonly sqlitePath?: string | undefined;
  /** Who re-anchors (recorded as `operator:<actor>`). */
  readonly actor: string;
  /** Why (recorded in the entry's payload hash and shown to the operator). */
  readonly reason: string;
  /** Where the key records are; default sqlite. */
  readonly keyStore?: "memory" | "filesystem" | "sqlite" | undefined;
  /** Where the approvals are; default sqlite. */
  readonly approvalStore?: "memory" | "sqlite" | undefined;
}

/**
 * Re-anchors an audit log whose anchor is missing: verifies the chain as it is, appends an
 * `audit.reanchor` entry naming the operator, journals (as `journal.baseline` entries by
 * the operator) the records whose commits were lost with the tail, and writes a fresh
 * anchor. The
 * deliberate, audited way out of `anchor_missing`; it cannot hide a truncation that
 * happened before it, which stays visible as the jump in the log's history that the
 * operator accepted here. Refuses a log whose chain does not verify, and a log that still
 * has an anchor.
 * @throws HsmError("integrity_error" | "conflict")
 */
export async function reanchorAuditLog(opts: ReanchorOptions): Promise<VerifyResult> {
  const paths = auditPaths(opts.dataDir, opts.sqlitePath);
  const macKey = await deriveAuditMacKey(opts.hmacKey);
  const anchor = new FileAnchorStore(
    opts.store === "file" ? paths.fileAnchor : paths.sqliteAnchor,
  );
  if (await anchor.read() !== undefined) {
    throw new HsmError("conflict", "Cannot re-anchor: the audit log has an anchor");
  }
  const closers: (() => Promise<void> | void)[] = [];
  try {
    let database: Database | undefined;
    const db = async () => {
      if (database === undefined) {
        database = await openDatabase(paths.sqliteFile);
        closers.push(() => database?.close());
      }
      return database;
    };
    let store: AuditStore;
    if (opts.store === "file") {
      const file = await FileAuditStore.open(paths.logFile);
      closers.unshift(() => file.close());
      store = file;
    } else {
      store = new SqliteAuditStore(await db());
    }
    const archive = new FileAuditArchiveStore(
      opts.store === "file" ? paths.fileArchive : paths.sqliteArchive,
    );
    const { result: chain, journal } = await verifyChainJournal(store, macKey, { archive });
    if (!chain.valid) {
      throw new HsmError(
        "integrity_error",
        `Cannot re-anchor: the chain is broken at entry ${chain.first_bad_seq} (${chain.reason})`,
      );
    }
    const log = await AuditLog.open(store, macKey, { anchor, allowMissingAnchor: true });
    const actor = `operator:${opts.actor}`;
    await log.append({
      actor,
      action: "audit.reanchor",
      result: "ok",
      payload: { reason: opts.reason, entries: chain.entries, head: chain.head },
    });
    // Records whose committing entries were in the lost tail are accepted as they are now,
    // each named in an entry of its own kind, so the acceptance is on the record.
    const records = await openRecordStores(opts, db, closers);
    const refs: RecordRef[] = [];
    for await (const { ref } of mismatches(journal, records)) refs.push(ref);
    for (let i = 0; i < refs.length; i += 64) {
      await log.append({
        actor,
        action: "journal.baseline",
        result: "ok",
        records: refs.slice(i, i + 64),
      });
    }
    await log.close();
    return await verifyStoreAndRecords(store, macKey, { anchor, records, archive });
  } finally {
    for (const close of closers) await close();
    macKey.close();
  }
}

function emptyStore(): AuditStore {
  return {
    append: () => Promise.reject(new TypeError("Read-only")),
    last: () => Promise.resolve(undefined),
    list: () => Promise.resolve([]),
    scan: async function* () {},
    journal: async function* () {},
    dropThrough: () => Promise.reject(new TypeError("Read-only")),
    close: () => Promise.resolve(),
  };
}
