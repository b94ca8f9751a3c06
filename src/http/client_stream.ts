/**
 * The client side of a connection relayed by the TCP front, over a Deno TCP connection
 * or a node socket (TLS terminated by `node:tls`): pull-style reads, writes that honour
 * backpressure, and a close that always drops the socket.
 */

import type { Socket } from "node:net";

/** Size of the read buffer of a Deno connection. */
export const BUFFER_BYTES = 64 * 1024;

/** The client side of a relayed connection, over a Deno TCP connection or a node socket. */
export interface ClientStream {
  /** The next bytes (valid until the next call), or null at the end. */
  read(): Promise<Uint8Array | null>;
  write(data: Uint8Array): Promise<void>;
  close(): void;
}

/** A ClientStream over a Deno TCP connection. */
export function denoClient(conn: Deno.Conn): ClientStream {
  const buf = new Uint8Array(BUFFER_BYTES);
  return {
    async read() {
      const n = await conn.read(buf);
      return n === null ? null : buf.subarray(0, n);
    },
    write: (data) => writeAll(conn, data),
    close: () => closeQuietly(conn),
  };
}

/** A ClientStream over a node socket (paused between reads, so backpressure holds). */
export function nodeClient(socket: Socket): ClientStream {
  const chunks: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  socket.on("data", (chunk: Uint8Array) => {
    chunks.push(chunk);
    socket.pause();
    notify();
  });
  socket.once("end", () => {
    ended = true;
    notify();
  });
  socket.once("close", () => {
    ended = true;
    notify();
  });
  socket.on("error", () => {});
  return {
    async read() {
      for (;;) {
        const next = chunks.shift();
        if (next !== undefined) return next;
        if (ended) return null;
        socket.resume();
        await new Promise<void>((resolve) => wake = resolve);
      }
    },
    write(data) {
      if (socket.destroyed) return Promise.reject(new Error("Connection closed"));
      // Copy: the caller reuses its buffer while node may still hold this one.
      if (socket.write(data.slice())) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const done = () => {
          socket.off("drain", done);
          socket.off("close", failed);
          resolve();
        };
        const failed = () => {
          socket.off("drain", done);
          reject(new Error("Connection closed"));
        };
        socket.once("drain", done);
        socket.once("close", failed);
      });
    },
    close: () => socket.destroy(),
  };
}

/** Writes all of `data`. */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await conn.write(data.subarray(offset));
}

/** Closes `conn`, ignoring a connection already closed. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
