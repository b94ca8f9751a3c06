/**
 * Opens the PostgreSQL database shared by the PostgreSQL-backed stores of every node:
 * a small connection pool (npm `postgres`, through `drizzle-orm/postgres-js`), the
 * drizzle-kit migrations under `migrations/postgres/` applied once under an advisory
 * lock (nodes starting together wait for each other), and a node id naming this process
 * in the rows it writes for the cluster's bookkeeping.
 *
 * Security caveats: the password comes from a file (never a flag or the URL in
 * production: URLs end up in process listings and logs); with a CA file, TLS to the
 * database is required and the server certificate is verified against it (`sslmode`
 * in the URL still applies otherwise). The driver also reads libpq's `PG*` environment
 * variables for settings the URL and options leave open.
 */

import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import postgres, { type Sql } from "postgres";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import * as schema from "./schema.ts";

/** How to reach the database. */
export interface PostgresOptions {
  /** `postgres://user@host:port/database[?sslmode=...]` */
  readonly url: string;
  /** The password, read from a file (trailing newline removed). */
  readonly passwordFile?: string | undefined;
  /** PEM CA bundle: TLS required, server certificate verified against it. */
  readonly caFile?: string | undefined;
  /** Connections in the pool (default 10). */
  readonly maxConnections?: number | undefined;
  /** This node's id (default: a random one; see `cluster_nodes`). */
  readonly nodeId?: string | undefined;
  /** Skip the migrations (tools that only read). Default false. */
  readonly skipMigrations?: boolean | undefined;
}

/** The drizzle handle, the raw client, and what a second connection needs. */
export interface PostgresDatabase {
  readonly db: PostgresJsDatabase<typeof schema>;
  readonly sql: Sql;
  /** This node's id, written beside the audit entries it appends. */
  readonly nodeId: string;
  /** Opens another client with the same settings (the change feed's LISTEN connection). */
  connect(options?: postgres.Options<Record<string, postgres.PostgresType>>): Sql;
  /** Closes every connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Where the PostgreSQL migrations live: `migrations/postgres/` at the project root from
 * source, or beside the bundle in a release.
 */
export const PG_MIGRATIONS_DIR = new URL(
  import.meta.url.endsWith("/src/storage/postgres/database.ts")
    ? "../../../migrations/postgres/"
    : "./migrations/postgres/",
  import.meta.url,
);

/** The advisory lock taken while migrating ("ferrohsm" in ASCII). */
const MIGRATION_LOCK = 0x666572726f68736dn;

/** Opens the pool and migrates the schema. @throws Error when the database is unreachable */
export async function openPostgres(options: PostgresOptions): Promise<PostgresDatabase> {
  const settings = connectionSettings(options);
  const connect = (extra: postgres.Options<Record<string, postgres.PostgresType>> = {}) =>
    postgres(options.url, { ...settings, ...extra });
  if (options.skipMigrations !== true) await migrateOnce(connect);
  const sql = connect({ max: options.maxConnections ?? 10 });
  let closed: Promise<void> | undefined;
  return {
    db: drizzle(sql, { schema }),
    sql,
    nodeId: options.nodeId ?? `node-${crypto.randomUUID()}`,
    connect,
    close() {
      closed ??= sql.end({ timeout: 5 });
      return closed;
    },
  };
}

function connectionSettings(
  options: PostgresOptions,
): postgres.Options<Record<string, postgres.PostgresType>> {
  const settings: postgres.Options<Record<string, postgres.PostgresType>> = {
    onnotice: () => {},
    connect_timeout: 10,
    idle_timeout: 60,
    connection: { application_name: "ferrohsm" },
  };
  if (options.passwordFile !== undefined) {
    settings.password = readFileSync(options.passwordFile, "utf8").replace(/\r?\n$/, "");
  }
  if (options.caFile !== undefined) {
    // The name checked against the certificate is the URL's host (an IP address is
    // checked against the certificate's IP addresses).
    const host = new URL(options.url).hostname.replace(/^\[|\]$/g, "");
    settings.ssl = {
      ca: readFileSync(options.caFile, "utf8"),
      rejectUnauthorized: true,
      ...(isIP(host) === 0 ? { servername: host } : {}),
      checkServerIdentity: (_name: string, cert: PeerCertificate) =>
        checkServerIdentity(host, cert),
    };
  }
  return settings;
}

/** Applies the migrations on one dedicated connection holding the advisory lock. */
async function migrateOnce(
  connect: (extra?: postgres.Options<Record<string, postgres.PostgresType>>) => Sql,
): Promise<void> {
  const sql = connect({ max: 1 });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK.toString()}::bigint)`;
    try {
      await migrate(drizzle(sql), {
        migrationsFolder: decodeURIComponent(PG_MIGRATIONS_DIR.pathname),
      });
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK.toString()}::bigint)`;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}
