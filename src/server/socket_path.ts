/**
 * Where the private Unix socket between the TCP front and `Deno.serve` lives: inside the
 * data dir (0700, claimed by one server), so only the server's user can reach the HTTP
 * server behind the front. Shared by the listener and the permission derivation.
 */

import { join } from "node:path";

/** The socket's path for a data dir. */
export function httpSocketPath(dataDir: string): string {
  return join(dataDir, "ferrohsm-http.sock");
}
