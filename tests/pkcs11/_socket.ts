/**
 * An in-process PKCS#11 socket over the fake backend, in a private temp dir, with a
 * logger that records what it was told (to assert that nothing unexpected was logged).
 */

import { join } from "node:path";
import { Pkcs11Dispatcher } from "../../src/pkcs11/dispatcher.ts";
import { Pkcs11SocketServer, type SocketServerOptions } from "../../src/pkcs11/socket_server.ts";
import type { Logger, LogLevel } from "../../src/util/logger.ts";
import { FakeBackend } from "./_fake_backend.ts";

/** A logged line. */
export interface LogLine {
  readonly level: LogLevel;
  readonly message: string;
}

/** A running test socket. */
export interface TestSocket {
  readonly server: Pkcs11SocketServer;
  readonly dir: string;
  readonly path: string;
  readonly logs: LogLine[];
  close(): Promise<void>;
}

/** Starts a socket in a fresh 0700 temp dir. */
export async function startTestSocket(
  options: Partial<SocketServerOptions> = {},
  backend = new FakeBackend(),
): Promise<TestSocket> {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-p11-" });
  const path = join(dir, "p11.sock");
  const logs: LogLine[] = [];
  const log: Logger = { log: (level, message) => logs.push({ level, message }) };
  const dispatcher = new Pkcs11Dispatcher(backend, { serial: "feedfacecafebeef", log });
  const server = await Pkcs11SocketServer.listen(dispatcher, { path, log, ...options });
  return {
    server,
    dir,
    path,
    logs,
    async close() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Reads until the peer closes; true when it closed within `maxReads` reads. */
export async function closedByPeer(conn: Deno.Conn, maxReads = 64): Promise<boolean> {
  const buf = new Uint8Array(4096);
  for (let i = 0; i < maxReads; i++) {
    try {
      if ((await conn.read(buf)) === null) return true;
    } catch {
      return true;
    }
  }
  return false;
}
