/**
 * PostgreSQL fixtures for the storage tests: one throw-away cluster per test process
 * (testing/postgres.ts) and one migrated database, emptied (every table truncated, the
 * chain head reset) when a fixture opens, since tests in a file run one at a time and
 * CREATE DATABASE costs a second. When PostgreSQL is not installed, tests register as
 * ignored with the reason in their name.
 */

import {
  type PostgresCluster,
  postgresUnavailable,
  sharedPostgres,
} from "../../../testing/postgres.ts";
import { openPostgres, type PostgresDatabase } from "../../../src/storage/postgres/database.ts";

/** Why PostgreSQL tests skip here ("" when they run). */
export const PG_SKIP = postgresUnavailable() ?? "";

/** A migrated, empty database and the URL to open more connections to it. */
export interface PgFixture {
  readonly database: PostgresDatabase;
  readonly url: string;
  readonly cluster: PostgresCluster;
  /** Runs SQL in this database (for damaging rows the way an attacker would). */
  exec(sql: string): Promise<void>;
  /** Opens another handle on the same database (a second node). */
  open(nodeId?: string): Promise<PostgresDatabase>;
  cleanup(): Promise<void>;
}

const TABLES = [
  "approval_votes",
  "approvals",
  "key_tags",
  "key_versions",
  "keys",
  "key_usage",
  "audit_entries",
  "cluster_nodes",
  "rate_buckets",
  "policy_versions",
  "audit_archive_segments",
  "audit_archive_base",
  "retention_ledger",
  "service_keys",
];

/** The test process's database, created and migrated on first use. */
function testDatabase(cluster: PostgresCluster): Promise<string> {
  database ??= (async () => {
    const name = await cluster.createDatabase("ferrohsm_test");
    await (await openPostgres({ url: cluster.url(name), maxConnections: 1 })).close();
    return name;
  })();
  return database;
}

let database: Promise<string> | undefined;

/** Empties the test database and opens a handle on it as `nodeId`. */
export async function openPgFixture(nodeId = "node-a"): Promise<PgFixture> {
  const cluster = await sharedPostgres();
  const url = cluster.url(await testDatabase(cluster));
  const handles: PostgresDatabase[] = [];
  const open = async (id = `node-${handles.length}`) => {
    const handle = await openPostgres({ url, nodeId: id, maxConnections: 4 });
    handles.push(handle);
    return handle;
  };
  const first = await open(nodeId);
  await first.sql.unsafe(
    `TRUNCATE ${TABLES.join(", ")}; UPDATE audit_head SET seq = 0, hash = '${
      "0".repeat(64)
    }', mac = ''`,
  );
  return {
    database: first,
    url,
    cluster,
    exec: async (sql) => {
      await first.sql.unsafe(sql);
    },
    open,
    async cleanup() {
      for (const handle of handles) await handle.close();
    },
  };
}

/**
 * Registers a test that needs PostgreSQL; ignored (the reason in its name) when the
 * binaries are missing.
 */
export function pgTest(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name: PG_SKIP === "" ? name : `${name} (skipped: ${PG_SKIP})`,
    ignore: PG_SKIP !== "",
    fn,
  });
}
