/**
 * The configured audit sinks as one unit: one AuditForwarder per sink, each with its
 * cursor file in `<data-dir>/audit-sinks/<id>.cursor`, where the id is the sink kind and
 * a digest of its URL (a new destination starts from the first entry; the same one
 * resumes). The composition root opens it after the audit log and calls `notify()`
 * after every durable batch.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../../core/encoding.ts";
import type { Logger } from "../../util/logger.ts";
import { AuditForwarder, type AuditSource, type ForwarderStats } from "./audit_forwarder.ts";
import { NatsSink } from "./nats_sink.ts";
import { SinkCursor } from "./sink_cursor.ts";
import { SyslogSink, type SyslogTransport } from "./syslog_sink.ts";

/** A syslog destination (`udp://`, `tcp://` or `tls://host:port`). */
export interface SyslogSinkSpec {
  readonly kind: "syslog";
  /** The URL as configured (names the cursor). */
  readonly url: string;
  readonly transport: SyslogTransport;
  readonly hostname: string;
  readonly port: number;
  /** PEM file of CA certificates trusted for `tls` (default: the system store). */
  readonly caFile?: string | undefined;
}

/** A NATS destination (`nats://host:port`), JetStream when `stream` is set. */
export interface NatsSinkSpec {
  readonly kind: "nats";
  readonly url: string;
  readonly stream?: string | undefined;
}

/** One configured sink. */
export type AuditSinkSpec = SyslogSinkSpec | NatsSinkSpec;

/** Options of `AuditSinks.open`. */
export interface AuditSinksOptions {
  readonly specs: readonly AuditSinkSpec[];
  /** The server's data dir (cursor files go to its `audit-sinks/`). */
  readonly dataDir: string;
  readonly source: AuditSource;
  readonly log?: Logger | undefined;
  /** HOSTNAME of syslog messages. */
  readonly hostname: string;
  /** Retry delays, ms (tests shorten them). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
}

/** The stable id of a sink: kind and 8 hex digits of SHA-256(url). */
export function sinkId(spec: AuditSinkSpec): string {
  return `${spec.kind}-${toHex(sha256(new TextEncoder().encode(spec.url))).slice(0, 8)}`;
}

/** Every configured forwarder. */
export class AuditSinks {
  readonly #forwarders: AuditForwarder[];

  private constructor(forwarders: AuditForwarder[]) {
    this.#forwarders = forwarders;
  }

  /**
   * Builds and starts a forwarder per spec (none: an idle instance).
   * @throws when a CA file cannot be read or a cursor file is corrupt
   */
  static async open(options: AuditSinksOptions): Promise<AuditSinks> {
    if (options.specs.length === 0) return new AuditSinks([]);
    const dir = `${options.dataDir}/audit-sinks`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const forwarders: AuditForwarder[] = [];
    for (const spec of options.specs) {
      const id = sinkId(spec);
      forwarders.push(
        new AuditForwarder({
          id,
          sink: await buildSink(spec, options.hostname),
          source: options.source,
          cursor: new SinkCursor(`${dir}/${id}.cursor`),
          log: options.log,
          ...(options.retryMinMs === undefined ? {} : { retryMinMs: options.retryMinMs }),
          ...(options.retryMaxMs === undefined ? {} : { retryMaxMs: options.retryMaxMs }),
        }),
      );
    }
    const sinks = new AuditSinks(forwarders);
    try {
      for (const f of forwarders) await f.start();
    } catch (err) {
      await sinks.close();
      throw err;
    }
    return sinks;
  }

  /** Wakes every forwarder (after a durable audit batch). */
  notify(): void {
    for (const f of this.#forwarders) f.notify();
  }

  /** Figures of every forwarder. */
  stats(): ForwarderStats[] {
    return this.#forwarders.map((f) => f.stats());
  }

  /** Stops every forwarder and closes its sink. */
  async close(): Promise<void> {
    await Promise.all(this.#forwarders.map((f) => f.close()));
  }
}

async function buildSink(spec: AuditSinkSpec, hostname: string): Promise<SyslogSink | NatsSink> {
  if (spec.kind === "nats") return new NatsSink({ servers: spec.url, stream: spec.stream });
  const caCerts = spec.caFile === undefined ? undefined : [await Deno.readTextFile(spec.caFile)];
  return new SyslogSink({
    transport: spec.transport,
    hostname: spec.hostname,
    port: spec.port,
    caCerts,
    header: { hostname, procId: String(Deno.pid) },
  });
}
