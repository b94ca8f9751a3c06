/**
 * Opens the libSQL database shared by the SQLite-backed stores: WAL journal with
 * `synchronous=FULL` (SQLite documents that NORMAL may lose committed transactions on
 * power loss), a busy timeout, foreign keys, `secure_delete` (deleted content is
 * zeroed), and the drizzle-kit migrations applied.
 *
 * The client is limited to one connection. libSQL's Node binding runs statements
 * synchronously anyway, and per-connection pragmas (`synchronous`) then hold for every
 * statement. Stores therefore write with `batch()` (one implicit transaction, one
 * fsync) and never hold an interactive transaction open.
 */

import { type Client, createClient } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import * as schema from "./schema.ts";

/** The drizzle handle over the schema, plus the raw client for pragmas. */
export interface Database {
  readonly db: LibSQLDatabase<typeof schema>;
  readonly client: Client;
  /** Closes the connection. Idempotent. */
  close(): void;
}

/**
 * Where the SQL migrations live: `migrations/` at the project root when this module runs
 * from source (or from a `deno compile` binary, which keeps the source layout), and
 * `migrations/` beside the bundle when it runs inside the release's single-file
 * `deno bundle` output (where `import.meta.url` is the bundle's URL).
 */
export const MIGRATIONS_DIR = new URL(
  import.meta.url.endsWith("/src/storage/sqlite/database.ts")
    ? "../../../migrations/"
    : "./migrations/",
  import.meta.url,
);

/**
 * Opens (creating if needed) the database file at `path` and migrates it.
 * `":memory:"` opens a private in-memory database (tests).
 */
export async function openDatabase(path: string): Promise<Database> {
  const url = path === ":memory:" ? ":memory:" : `file:${path}`;
  const client = createClient({ url, concurrency: 1 });
  try {
    if (path !== ":memory:") await client.execute("PRAGMA journal_mode=WAL");
    await client.execute("PRAGMA synchronous=FULL");
    await client.execute("PRAGMA busy_timeout=5000");
    await client.execute("PRAGMA foreign_keys=ON");
    // Deleted content (destroyed and purged key versions) is zeroed, not left in free pages.
    await client.execute("PRAGMA secure_delete=ON");
    const db = drizzle(client, { schema });
    await migrate(db, { migrationsFolder: decodeURIComponent(MIGRATIONS_DIR.pathname) });
    let closed = false;
    return {
      db,
      client,
      close() {
        if (!closed) client.close();
        closed = true;
      },
    };
  } catch (err) {
    client.close();
    throw err;
  }
}
