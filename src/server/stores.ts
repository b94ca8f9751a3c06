/**
 * Opens the storage adapters a Config names — key, audit, approval, policy and
 * usage-counter stores, the audit anchor and the audit archive — sharing one SQLite
 * database between the SQLite stores, or one PostgreSQL pool between the PostgreSQL
 * stores (whose anchor is the chain head row, and whose archive is shared by every node).
 * Policies live beside the keys (memory, `<data-dir>/policies` files, or the database).
 * The only module of the server that chooses an adapter; services see the ports.
 */

import { join } from "node:path";
import type { Config } from "../config/config.ts";
import { FileAnchorStore } from "../storage/file/anchor_store.ts";
import { FileAuditArchiveStore } from "../storage/file/audit_archive_store.ts";
import { FileAuditStore } from "../storage/file/audit_store.ts";
import { FileKeyStore } from "../storage/file/key_store.ts";
import { MemoryApprovalStore } from "../storage/memory/approval_store.ts";
import { MemoryKeyStore } from "../storage/memory/key_store.ts";
import type {
  AnchorStore,
  ApprovalStore,
  AuditArchiveStore,
  AuditStore,
  KeyStore,
  PolicyStore,
  UsageStore,
} from "../storage/ports.ts";
import { FilePolicyStore } from "../storage/file/policy_store.ts";
import { MemoryPolicyStore } from "../storage/memory/policy_store.ts";
import { SqlitePolicyStore } from "../storage/sqlite/policy_store.ts";
import { FileUsageStore } from "../storage/file/usage_store.ts";
import { MemoryUsageStore } from "../storage/memory/usage_store.ts";
import { SqliteUsageStore } from "../storage/sqlite/usage_store.ts";
import { PostgresUsageStore } from "../storage/postgres/usage_store.ts";
import { SqliteApprovalStore } from "../storage/sqlite/approval_store.ts";
import { SqliteAuditStore } from "../storage/sqlite/audit_store.ts";
import { AuditWriterThread } from "../storage/sqlite/audit_writer.ts";
import { type Database, openDatabase } from "../storage/sqlite/database.ts";
import { SqliteKeyStore } from "../storage/sqlite/key_store.ts";
import { auditPaths } from "./audit_files.ts";
import { openClusterDatabase } from "./cluster_database.ts";
import type { PostgresDatabase } from "../storage/postgres/database.ts";
import { PostgresKeyStore } from "../storage/postgres/key_store.ts";
import { PostgresAnchorStore, PostgresAuditStore } from "../storage/postgres/audit_store.ts";
import { PostgresApprovalStore } from "../storage/postgres/approval_store.ts";
import { PostgresAuditArchiveStore } from "../storage/postgres/audit_archive_store.ts";
import { PostgresPolicyStore } from "../storage/postgres/policy_store.ts";

/** The opened stores of one server. */
export interface Stores {
  readonly keys: KeyStore;
  readonly audit: AuditStore;
  readonly approvals: ApprovalStore;
  readonly policies: PolicyStore;
  readonly anchor: AnchorStore;
  /** Archived audit segments and the live log's base. */
  readonly auditArchive: AuditArchiveStore;
  /** Usage counters per key version, kept beside the key store. */
  readonly usage: UsageStore;
  /** The shared PostgreSQL database, when the stores are `postgres` (a cluster node). */
  readonly postgres?: PostgresDatabase;
  /** Closes every store (and the shared database), newest first; never throws. */
  close(): Promise<void>;
}

/** Adapters a caller may supply instead of the configured ones (tests, benchmarks). */
export interface StoreOverrides {
  readonly auditStore?: AuditStore;
}

/** Opens the configured stores; on failure closes what was opened and rethrows. */
export async function openStores(config: Config, overrides: StoreOverrides = {}): Promise<Stores> {
  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const close of closers) await Promise.resolve(close()).catch(() => {});
  };
  try {
    const postgres = config.postgres === undefined
      ? undefined
      : await openClusterDatabase(config.postgres, config.dataDir);
    if (postgres !== undefined) closers.push(() => postgres.close());
    const pg = () => {
      if (postgres === undefined) throw new TypeError("No --postgres-url configured");
      return postgres;
    };
    let database: Database | undefined;
    const db = async () => {
      if (database === undefined) {
        database = await openDatabase(config.sqlitePath);
        closers.push(() => database?.close());
      }
      return database;
    };
    const keys: KeyStore = config.keyStore === "memory"
      ? new MemoryKeyStore()
      : config.keyStore === "postgres"
      ? new PostgresKeyStore(pg())
      : config.keyStore === "filesystem"
      ? await FileKeyStore.open(join(config.dataDir, "keys"))
      : new SqliteKeyStore(await db(), {
        // Key creations commit on a writer thread of their own (not for :memory:).
        ...(config.sqlitePath === ":memory:"
          ? {}
          : { writer: await AuditWriterThread.start(config.sqlitePath) }),
      });
    closers.unshift(() => keys.close());
    const paths = auditPaths(config.dataDir, config.sqlitePath);
    await Deno.mkdir(paths.dir, { recursive: true, mode: 0o700 });
    const audit: AuditStore = overrides.auditStore ??
      (config.auditStore === "file"
        ? await FileAuditStore.open(paths.logFile)
        : config.auditStore === "postgres"
        ? new PostgresAuditStore(pg())
        : new SqliteAuditStore(await db(), {
          // Commit audit batches on their own thread and connection (not for :memory:,
          // which a second connection cannot see).
          ...(config.sqlitePath === ":memory:"
            ? {}
            : { writer: await AuditWriterThread.start(config.sqlitePath) }),
        }));
    closers.unshift(() => audit.close());
    const anchor: AnchorStore = config.auditStore === "postgres"
      ? new PostgresAnchorStore(pg())
      : new FileAnchorStore(config.auditStore === "file" ? paths.fileAnchor : paths.sqliteAnchor);
    const auditArchive: AuditArchiveStore = config.auditStore === "postgres"
      ? new PostgresAuditArchiveStore(pg())
      : new FileAuditArchiveStore(
        config.auditStore === "file" ? paths.fileArchive : paths.sqliteArchive,
      );
    const approvals: ApprovalStore = config.approvalStore === "memory"
      ? new MemoryApprovalStore()
      : config.approvalStore === "postgres"
      ? new PostgresApprovalStore(pg())
      : new SqliteApprovalStore(await db());
    closers.unshift(() => approvals.close());
    const policies: PolicyStore = config.keyStore === "memory"
      ? new MemoryPolicyStore()
      : config.keyStore === "postgres"
      ? new PostgresPolicyStore(pg())
      : config.keyStore === "filesystem"
      ? await FilePolicyStore.open(join(config.dataDir, "policies"))
      : new SqlitePolicyStore(await db());
    closers.unshift(() => policies.close());
    // Usage counters live beside the keys (shared by every node of a cluster).
    const usage: UsageStore = config.keyStore === "memory"
      ? new MemoryUsageStore()
      : config.keyStore === "postgres"
      ? new PostgresUsageStore(pg())
      : config.keyStore === "sqlite"
      ? new SqliteUsageStore(await db())
      : await FileUsageStore.open(join(config.dataDir, "usage.json"));
    closers.unshift(() => usage.close());
    return {
      keys,
      audit,
      approvals,
      policies,
      anchor,
      auditArchive,
      usage,
      ...(postgres === undefined ? {} : { postgres }),
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
