/**
 * The syslog sink: audit entries as RFC 5424 messages over UDP (one datagram each), TCP
 * or TLS (RFC 6587 octet counting, RFC 5425 for TLS). Stream connections are opened on
 * demand and reopened after a failure; the connection is also watched for the collector
 * closing it, so the next batch goes to a fresh connection instead of a dead one.
 *
 * Security caveats: syslog has no acknowledgements. Over TCP and TLS an entry written in
 * the instant a collector goes away can be lost without an error (the kernel accepted
 * it); over UDP any datagram can be lost or reordered. Every message carries seq and the
 * entry hash, so the SIEM sees a loss as a seq gap; use NATS with JetStream where no gap
 * is acceptable. TLS verifies the collector against `caCerts` (or the system store) and
 * its name; plain TCP and UDP expose entries to the network path.
 */

import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { isIP } from "node:net";
import type { AuditEntry } from "../../domain/audit_entry.ts";
import type { AuditSink } from "./audit_forwarder.ts";
import {
  datagramOf,
  formatSyslogMessage,
  frameOctetCounted,
  type SyslogHeader,
} from "./syslog_message.ts";

/** Syslog transports. */
export type SyslogTransport = "udp" | "tcp" | "tls";

/** Options of SyslogSink. */
export interface SyslogSinkOptions {
  readonly transport: SyslogTransport;
  readonly hostname: string;
  readonly port: number;
  /** PEM CA certificates trusted for `tls` (default: the system store). */
  readonly caCerts?: readonly string[] | undefined;
  readonly header: SyslogHeader;
  /** Connect timeout, ms (default 5000). */
  readonly connectTimeoutMs?: number;
}

/** Sends audit entries to a syslog collector. */
export class SyslogSink implements AuditSink {
  readonly kind = "syslog";
  readonly #options: SyslogSinkOptions;
  #conn: Deno.Conn | undefined;
  #udp: UdpSocket | undefined;
  #closed = false;

  constructor(options: SyslogSinkOptions) {
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      throw new RangeError("Invalid syslog port");
    }
    this.#options = options;
  }

  /** Sends every entry, in order. @throws when the collector cannot be reached */
  async send(entries: readonly AuditEntry[]): Promise<void> {
    if (this.#closed) throw new Error("Syslog sink is closed");
    if (this.#options.transport === "udp") {
      for (const entry of entries) {
        await this.#sendDatagram(datagramOf(entry, this.#options.header));
      }
      return;
    }
    const conn = this.#conn ?? await this.#connect();
    const header = this.#options.header;
    const frames = entries.map((e) => frameOctetCounted(formatSyslogMessage(e, header)));
    const size = frames.reduce((n, f) => n + f.length, 0);
    const data = new Uint8Array(size);
    let at = 0;
    for (const f of frames) {
      data.set(f, at);
      at += f.length;
    }
    try {
      for (let sent = 0; sent < data.length;) sent += await conn.write(data.subarray(sent));
    } catch (err) {
      this.#drop(conn);
      throw err;
    }
  }

  /** True while a stream connection is open (UDP: once its socket exists). */
  connected(): boolean {
    return this.#conn !== undefined || this.#udp !== undefined;
  }

  /** Closes the connection. */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#conn !== undefined) this.#drop(this.#conn);
    const udp = this.#udp;
    this.#udp = undefined;
    if (udp === undefined) return Promise.resolve();
    return new Promise((resolve) => udp.close(() => resolve()));
  }

  async #connect(): Promise<Deno.Conn> {
    const { hostname, port, transport } = this.#options;
    const ms = this.#options.connectTimeoutMs ?? 5000;
    const connecting = transport === "tls"
      ? Deno.connectTls({
        hostname,
        port,
        ...(this.#options.caCerts === undefined ? {} : { caCerts: [...this.#options.caCerts] }),
      }).then(async (tls) => {
        await tls.handshake();
        return tls as Deno.Conn;
      })
      : Deno.connect({ hostname, port });
    const conn = await withTimeout(connecting, ms);
    if (this.#closed) {
      conn.close();
      throw new Error("Syslog sink is closed");
    }
    this.#conn = conn;
    this.#watch(conn);
    return conn;
  }

  /** Reads (and discards) until the collector closes the connection, then drops it. */
  #watch(conn: Deno.Conn): void {
    (async () => {
      const buf = new Uint8Array(512);
      try {
        while ((await conn.read(buf)) !== null) {
          // Collectors send nothing on a syslog stream; ignore whatever arrives.
        }
      } catch {
        // reset or closed locally
      }
      this.#drop(conn);
    })();
  }

  #drop(conn: Deno.Conn): void {
    if (this.#conn === conn) this.#conn = undefined;
    try {
      conn.close();
    } catch {
      // already closed
    }
  }

  #sendDatagram(data: Uint8Array): Promise<void> {
    const { hostname, port } = this.#options;
    this.#udp ??= createSocket(isIP(hostname) === 6 ? "udp6" : "udp4");
    const socket = this.#udp;
    return new Promise((resolve, reject) => {
      socket.send(data, port, hostname, (err) => err ? reject(err) : resolve());
    });
  }
}

/** Resolves with the connection, or rejects after `ms` (closing a late connection). */
function withTimeout(connecting: Promise<Deno.Conn>, ms: number): Promise<Deno.Conn> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      connecting.then((late) => late.close(), () => undefined);
      reject(new Deno.errors.TimedOut("Syslog connect timed out"));
    }, ms);
  });
  return Promise.race([connecting, timeout]).finally(() => clearTimeout(timer));
}
