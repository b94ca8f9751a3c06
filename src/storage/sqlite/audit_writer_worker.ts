/**
 * The audit writer thread: owns a second libSQL connection to the database and commits
 * audit batches there (and, on a second instance, the SQLite key store's group-committed
 * key creations as prepared statements: `batch`), so the commit's fsync (libSQL runs statements synchronously)
 * blocks this worker instead of the thread that serves requests. Same pragmas as the
 * main connection: WAL with `synchronous=FULL`. It imports only the libSQL client so
 * its single module is all the worker needs read permission for.
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import { type Client, createClient } from "@libsql/client";

/** A request to the writer. */
export type WriterRequest =
  | { readonly id: number; readonly type: "open"; readonly path: string }
  | { readonly id: number; readonly type: "append"; readonly rows: readonly unknown[][] }
  | {
    readonly id: number;
    readonly type: "batch";
    readonly statements: readonly { readonly sql: string; readonly args: readonly unknown[] }[];
  }
  | { readonly id: number; readonly type: "close" };

const INSERT = "INSERT INTO audit_entries " +
  "(seq, ts, actor, action, key_id, result, payload_hash, prev_hash, mac, records, request_id) " +
  "VALUES ";
const ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/**
 * Rows per INSERT statement: one multi-row statement costs about two thirds of the CPU
 * of one statement per row; 256 rows × 11 columns stays far below SQLite's bound on
 * bound variables (32 766).
 */
const ROWS_PER_STATEMENT = 256;

/** Multi-row INSERT statements for `rows`, in order. */
function insertStatements(
  rows: readonly unknown[][],
): { sql: string; args: (string | number | null)[] }[] {
  const statements = [];
  for (let at = 0; at < rows.length; at += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(at, at + ROWS_PER_STATEMENT);
    statements.push({
      sql: INSERT + Array<string>(chunk.length).fill(ROW).join(", "),
      args: chunk.flat() as (string | number | null)[],
    });
  }
  return statements;
}

let client: Client | undefined;

async function handle(msg: WriterRequest): Promise<void> {
  if (msg.type === "open") {
    client = createClient({ url: `file:${msg.path}`, concurrency: 1 });
    await client.execute("PRAGMA synchronous=FULL");
    await client.execute("PRAGMA busy_timeout=5000");
  } else if (msg.type === "append") {
    if (client === undefined) throw new TypeError("writer not open");
    await client.batch(insertStatements(msg.rows), "write");
  } else if (msg.type === "batch") {
    if (client === undefined) throw new TypeError("writer not open");
    await client.batch(
      msg.statements.map((st) => ({ sql: st.sql, args: st.args as (string | number | null)[] })),
      "write",
    );
  } else {
    client?.close();
    client = undefined;
  }
}

self.onmessage = async (event: MessageEvent<WriterRequest>) => {
  const msg = event.data;
  try {
    await handle(msg);
    self.postMessage({ id: msg.id, ok: true });
  } catch (err) {
    // The name and SQLite's extended result code only (constraint failures are told apart
    // by code, never by message text; messages could quote values).
    const code = (err as { extendedCode?: unknown } | undefined)?.extendedCode;
    self.postMessage({
      id: msg.id,
      ok: false,
      error: err instanceof Error ? err.name : "Error",
      ...(typeof code === "string" ? { code } : {}),
    });
  }
};
