/**
 * Syslog collectors for the sink tests: a TCP or TLS listener that parses RFC 6587
 * octet-counted frames, and a UDP receiver. Each records the `seq` of every message in
 * arrival order and can be stopped and restarted on the same port.
 */

import { createSocket } from "node:dgram";

/** A collector that records the seq of each message it got. */
export interface Collector {
  readonly port: number;
  /** Raw messages in arrival order. */
  readonly messages: string[];
  /** Seqs in arrival order. */
  seqs(): number[];
  /** Stops listening and closes every connection. */
  stop(): Promise<void>;
}

const SEQ = /\[ferrohsm@32473 seq="(\d+)"/;

function seqsOf(messages: readonly string[]): number[] {
  return messages.map((m) => Number(SEQ.exec(m)?.[1] ?? NaN));
}

/** Parses octet-counted frames from a byte stream; returns the messages. */
export class FrameParser {
  #buf = new Uint8Array(0);
  readonly #dec = new TextDecoder();

  /** Adds bytes; returns the messages completed by them. */
  push(chunk: Uint8Array): string[] {
    const merged = new Uint8Array(this.#buf.length + chunk.length);
    merged.set(this.#buf);
    merged.set(chunk, this.#buf.length);
    const out: string[] = [];
    let at = 0;
    for (;;) {
      const space = merged.indexOf(0x20, at);
      if (space < 0) break;
      const len = Number(this.#dec.decode(merged.subarray(at, space)));
      if (!Number.isSafeInteger(len) || len <= 0) throw new Error("bad frame length");
      if (space + 1 + len > merged.length) break;
      out.push(this.#dec.decode(merged.subarray(space + 1, space + 1 + len)));
      at = space + 1 + len;
    }
    this.#buf = merged.slice(at);
    return out;
  }
}

/** A TCP (or, with cert and key, TLS) collector on 127.0.0.1:`port` (0: any). */
export function streamCollector(
  port = 0,
  tls?: { cert: string; key: string },
  messages: string[] = [],
): Collector {
  const listener = tls === undefined
    ? Deno.listen({ hostname: "127.0.0.1", port })
    : Deno.listenTls({ hostname: "127.0.0.1", port, cert: tls.cert, key: tls.key });
  const conns = new Set<Deno.Conn>();
  const served = (async () => {
    const reading: Promise<void>[] = [];
    for await (const conn of listener) {
      conns.add(conn);
      reading.push((async () => {
        const parser = new FrameParser();
        try {
          for await (const chunk of conn.readable) messages.push(...parser.push(chunk));
        } catch {
          // closed by stop()
        }
        conns.delete(conn);
      })());
    }
    await Promise.all(reading);
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    messages,
    seqs: () => seqsOf(messages),
    async stop() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // already closed
        }
      }
      await served;
    },
  };
}

/** A UDP collector on 127.0.0.1. */
export async function datagramCollector(): Promise<Collector> {
  const socket = createSocket("udp4");
  const messages: string[] = [];
  socket.on("message", (msg: Uint8Array) => messages.push(new TextDecoder().decode(msg)));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  return {
    port: socket.address().port,
    messages,
    seqs: () => seqsOf(messages),
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** Waits until `check()` holds (bounded: 10 s). */
export async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`Timed out waiting for ${what}`);
}
