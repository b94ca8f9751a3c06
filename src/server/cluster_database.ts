/**
 * Opens the PostgreSQL database of a cluster node under the node's id: a random id
 * written once to `<data-dir>/node-id` (mode 0600), so a node that restarts recognises
 * the registration (and the half-done writes) of its previous process.
 */

import { join } from "node:path";
import type { PostgresConfig } from "../config/config.ts";
import { openPostgres, type PostgresDatabase } from "../storage/postgres/database.ts";

const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** This node's id, created on first use. @throws Error when the file holds something else */
export async function nodeId(dataDir: string): Promise<string> {
  const path = join(dataDir, "node-id");
  try {
    const stored = (await Deno.readTextFile(path)).trim();
    if (!NODE_ID.test(stored)) throw new Error(`${path} does not hold a node id`);
    return stored;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const id = `node-${crypto.randomUUID()}`;
  await Deno.writeTextFile(path, `${id}\n`, { mode: 0o600, createNew: true });
  return id;
}

/** Opens (and migrates) the shared database as this node. */
export async function openClusterDatabase(
  config: PostgresConfig,
  dataDir: string,
): Promise<PostgresDatabase> {
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  return await openPostgres({
    url: config.url,
    passwordFile: config.passwordFile,
    caFile: config.caFile,
    nodeId: await nodeId(dataDir),
  });
}
