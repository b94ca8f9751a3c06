/**
 * Where a data dir keeps its audit log and anchor, and offline verification of that
 * log (`ferrohsm audit verify`): opens the configured store adapter read-only and runs
 * the same chain verification the server runs online.
 */

import { deriveAuditMacKey } from "../audit/chain.ts";
import { type VerifyResult, verifyStore } from "../audit/verify.ts";
import { HsmError } from "../domain/errors.ts";
import { FileAnchorStore } from "../storage/file/anchor_store.ts";
import { FileAuditStore } from "../storage/file/audit_store.ts";
import type { AuditStore } from "../storage/ports.ts";
import { SqliteAuditStore } from "../storage/sqlite/audit_store.ts";
import { openDatabase } from "../storage/sqlite/database.ts";
import { exists } from "../util/fs.ts";

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
}

/** Options of `verifyAuditStore`. */
export interface VerifyAuditStoreOptions {
  readonly dataDir: string;
  /** The operator's raw 32-byte HMAC key. */
  readonly hmacKey: Uint8Array;
  readonly store: "file" | "sqlite";
  readonly sqlitePath?: string | undefined;
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
  };
}

/**
 * Offline verification of a data directory's audit log with the operator's HMAC key
 * (derived exactly as the server does). The file store is opened read-only without
 * the writer's lock, so it also works while the server runs.
 * @throws HsmError("not_found") when there is neither a log nor an anchor
 */
export async function verifyAuditStore(opts: VerifyAuditStoreOptions): Promise<VerifyResult> {
  const paths = auditPaths(opts.dataDir, opts.sqlitePath);
  const macKey = await deriveAuditMacKey(opts.hmacKey);
  const anchors = new FileAnchorStore(
    opts.store === "file" ? paths.fileAnchor : paths.sqliteAnchor,
  );
  const logPath = opts.store === "file" ? paths.logFile : paths.sqliteFile;
  const progress = { onProgress: opts.onProgress };
  if (!(await exists(logPath))) {
    if (!(await exists(anchors.path))) {
      throw new HsmError("not_found", `No audit log at ${logPath}`);
    }
    return await verifyStore(emptyStore(), macKey, anchors);
  }
  if (opts.store === "file") {
    const store = await FileAuditStore.open(logPath, { readOnly: true });
    try {
      return await verifyStore(store, macKey, anchors, progress);
    } finally {
      await store.close();
    }
  }
  const database = await openDatabase(logPath);
  try {
    return await verifyStore(new SqliteAuditStore(database), macKey, anchors, progress);
  } finally {
    database.close();
  }
}

function emptyStore(): AuditStore {
  return {
    append: () => Promise.reject(new TypeError("Read-only")),
    last: () => Promise.resolve(undefined),
    list: () => Promise.resolve([]),
    scan: async function* () {},
    close: () => Promise.resolve(),
  };
}
