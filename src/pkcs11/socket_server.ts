/**
 * The unix-socket listener of p11-kit's RPC protocol. Each connection is one PKCS#11
 * application: it sends one version byte and gets 0 back (protocol version 0, also for a
 * newer client), then exchanges frames `u32 code ‖ u32 options_len ‖ u32 body_len ‖
 * options ‖ body` (big-endian); the reply echoes the code with empty options.
 *
 * Hostile input only ever costs its own connection: a frame above the size limits, a
 * malformed body, or a frame that does not arrive within the frame timeout closes that
 * connection and nothing else. Connections are capped; requests of one connection run
 * one at a time. Request and response buffers are wiped after use (they may hold PINs,
 * plaintexts). The socket file is created 0660 in a directory that must not be
 * world-writable; a stale socket left by a crash is replaced, a live one is not.
 */

import { dirname } from "node:path";
import { HsmError } from "../domain/errors.ts";
import { wipe } from "../core/zeroize.ts";
import type { Logger } from "../util/logger.ts";
import { RpcProtocolError } from "./rpc_codec.ts";
import { type ClientLimits, ClientState, DEFAULT_CLIENT_LIMITS } from "./sessions.ts";

/** What the listener hands each request body to. */
export interface RequestHandler {
  handle(state: ClientState, body: Uint8Array): Promise<Uint8Array>;
}

/** Listener limits. */
export interface SocketServerOptions {
  /** Absolute path of the socket file. */
  readonly path: string;
  /** Connections served at once (default 64); more are closed on accept. */
  readonly maxConnections?: number;
  /** Largest request body in bytes (default 1 MiB + 64 KiB). */
  readonly maxMessageBytes?: number;
  /** Largest options field in bytes (default 4 KiB; p11-kit sends the module name). */
  readonly maxOptionsBytes?: number;
  /** Milliseconds within which a started frame must be complete (default 30 000). */
  readonly frameTimeoutMs?: number;
  readonly clientLimits?: ClientLimits;
  readonly log?: Logger;
}

const HEADER_BYTES = 12;

/** A running PKCS#11 socket. */
export class Pkcs11SocketServer {
  readonly path: string;
  readonly #listener: Deno.Listener;
  readonly #handler: RequestHandler;
  readonly #o: Required<Omit<SocketServerOptions, "log">> & { log?: Logger };
  readonly #conns = new Set<Deno.Conn>();
  readonly #serving = new Set<Promise<void>>();
  #accepting: Promise<void>;
  #closed = false;

  private constructor(listener: Deno.Listener, handler: RequestHandler, o: SocketServerOptions) {
    this.path = o.path;
    this.#listener = listener;
    this.#handler = handler;
    this.#o = {
      path: o.path,
      maxConnections: o.maxConnections ?? 64,
      maxMessageBytes: o.maxMessageBytes ?? 1024 * 1024 + 64 * 1024,
      maxOptionsBytes: o.maxOptionsBytes ?? 4096,
      frameTimeoutMs: o.frameTimeoutMs ?? 30_000,
      clientLimits: o.clientLimits ?? DEFAULT_CLIENT_LIMITS,
      ...(o.log === undefined ? {} : { log: o.log }),
    };
    this.#accepting = this.#acceptLoop();
  }

  /**
   * Creates the socket (mode 0660) and starts serving.
   * @throws HsmError("invalid_request") when the directory is unsafe or the path is taken
   */
  static async listen(
    handler: RequestHandler,
    options: SocketServerOptions,
  ): Promise<Pkcs11SocketServer> {
    await prepareSocketPath(options.path);
    const listener = Deno.listen({ transport: "unix", path: options.path });
    try {
      await Deno.chmod(options.path, 0o660);
    } catch (err) {
      listener.close();
      throw err;
    }
    return new Pkcs11SocketServer(listener, handler, options);
  }

  /** Connections being served. */
  get connections(): number {
    return this.#conns.size;
  }

  /** Stops accepting, closes every connection, removes the socket file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    for (const conn of this.#conns) closeQuietly(conn);
    await this.#accepting;
    await Promise.all([...this.#serving]);
    await Deno.remove(this.path).catch(() => {});
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return; // listener closed
      }
      if (this.#conns.size >= this.#o.maxConnections) {
        this.#o.log?.log("warn", "pkcs11 connection refused: too many connections");
        closeQuietly(conn);
        continue;
      }
      this.#conns.add(conn);
      const serving = this.#serve(conn).finally(() => {
        this.#conns.delete(conn);
        this.#serving.delete(serving);
      });
      this.#serving.add(serving);
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const state = new ClientState(this.#o.clientLimits);
    const reader = new ExactReader(conn);
    const timed = async <T>(fn: () => Promise<T>): Promise<T> => {
      const timer = setTimeout(() => closeQuietly(conn), this.#o.frameTimeoutMs);
      try {
        return await fn();
      } finally {
        clearTimeout(timer);
      }
    };
    try {
      // The client sends its version byte right after connecting; answer 0 to any.
      if ((await timed(() => reader.read(1, true))) === undefined) return;
      await writeAll(conn, Uint8Array.of(0));
      for (;;) {
        // Idle between frames is fine (applications keep their connection); once a
        // frame has started, all of it must arrive within the frame timeout.
        const first = await reader.read(1, true);
        if (first === undefined) return;
        const rest = (await timed(() => reader.read(HEADER_BYTES - 1))) as Uint8Array;
        const header = new Uint8Array(HEADER_BYTES);
        header.set(first);
        header.set(rest, 1);
        const view = new DataView(header.buffer);
        const code = view.getUint32(0);
        const optionsLength = view.getUint32(4);
        const bodyLength = view.getUint32(8);
        if (code === 0) throw new RpcProtocolError("Frame code 0 is reserved");
        if (optionsLength > this.#o.maxOptionsBytes || bodyLength > this.#o.maxMessageBytes) {
          throw new RpcProtocolError("Frame exceeds the size limits");
        }
        const body = await timed(async () => {
          await reader.read(optionsLength);
          return (await reader.read(bodyLength)) as Uint8Array;
        });
        let response: Uint8Array;
        try {
          response = await this.#handler.handle(state, body);
        } finally {
          wipe(body);
        }
        const frame = new Uint8Array(HEADER_BYTES + response.length);
        const out = new DataView(frame.buffer);
        out.setUint32(0, code);
        out.setUint32(8, response.length);
        frame.set(response, HEADER_BYTES);
        wipe(response);
        try {
          await writeAll(conn, frame);
        } finally {
          wipe(frame);
        }
      }
    } catch (err) {
      if (err instanceof RpcProtocolError) {
        this.#o.log?.log("warn", "pkcs11 connection closed: malformed message", {
          reason: err.message,
        });
      } else if (!(err instanceof Deno.errors.BadResource) && !isConnectionError(err)) {
        this.#o.log?.log("error", "pkcs11 connection failed", {
          error: err instanceof Error ? err.name : typeof err,
        });
      }
    } finally {
      state.reset();
      closeQuietly(conn);
    }
  }
}

/** Reads exact byte counts from a connection. */
class ExactReader {
  readonly #conn: Deno.Conn;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /**
   * Reads `n` bytes; undefined on a clean end of stream before the first byte when
   * `eofOk`. @throws RpcProtocolError when the stream ends part-way
   */
  async read(n: number, eofOk = false): Promise<Uint8Array | undefined> {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const got = await this.#conn.read(out.subarray(at));
      if (got === null) {
        if (at === 0 && eofOk) return undefined;
        throw new RpcProtocolError("Connection closed in the middle of a frame");
      }
      at += got;
    }
    return out;
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await conn.write(data.subarray(at));
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

function isConnectionError(err: unknown): boolean {
  return err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.Interrupted || err instanceof Deno.errors.UnexpectedEof;
}

function unsafe(path: string, why: string): HsmError {
  return new HsmError("invalid_request", `Cannot listen on PKCS#11 socket ${path}: ${why}`);
}

/** Checks the socket's directory and clears a stale socket file. */
async function prepareSocketPath(path: string): Promise<void> {
  const dir = dirname(path);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch {
    throw unsafe(path, `directory ${dir} does not exist`);
  }
  if (!info.isDirectory) throw unsafe(path, `${dir} is not a directory`);
  if (info.mode !== null && (info.mode & 0o002) !== 0) {
    throw unsafe(path, `directory ${dir} is world-writable`);
  }
  let existing: Deno.FileInfo;
  try {
    existing = await Deno.lstat(path);
  } catch {
    return; // nothing there
  }
  if (!existing.isSocket) throw unsafe(path, "a file that is not a socket is in the way");
  try {
    const probe = await Deno.connect({ transport: "unix", path });
    probe.close();
    throw unsafe(path, "another server is listening on it");
  } catch (err) {
    if (err instanceof HsmError) throw err;
    await Deno.remove(path); // stale socket of a previous run
  }
}
