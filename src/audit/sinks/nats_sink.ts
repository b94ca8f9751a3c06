/**
 * The NATS sink: each audit entry is published as its stored JSON line on the subject
 * `ferrohsm.audit.<action>` (dots in an action become subject levels, so
 * `ferrohsm.audit.key.>` matches every key action), with headers `Ferrohsm-Seq` and
 * `Ferrohsm-Hash`.
 *
 * With a stream name the sink publishes through JetStream: it creates the stream
 * (subjects `ferrohsm.audit.>`) when it does not exist, waits for each publish
 * acknowledgement, and sets `Nats-Msg-Id` to `<seq>-<hash prefix>` so a batch resent
 * after a lost acknowledgement is stored once (within the stream's duplicate window).
 * Without one it publishes plain NATS messages and waits for the server's flush
 * round trip, which proves receipt by the server, not by any subscriber.
 *
 * On any failure the connection is closed (dropping the client's reconnect buffer, so
 * nothing is sent twice behind the forwarder's back) and reopened on the next batch.
 * Security caveats: entries are visible to every NATS client allowed to subscribe to
 * the subjects; use the server's TLS and authorization for a bus outside the host.
 */

import {
  connect,
  headers,
  type JetStreamClient,
  type NatsConnection,
  RetentionPolicy,
  StorageType,
} from "nats";
import { entryHash } from "../chain.ts";
import { type AuditEntry, serializeEntry } from "../../domain/audit_entry.ts";
import type { AuditSink } from "./audit_forwarder.ts";

/** The subject prefix of every audit message. */
export const SUBJECT_PREFIX = "ferrohsm.audit";

/** Options of NatsSink. */
export interface NatsSinkOptions {
  /** `nats://host:port` (or several, comma-separated). */
  readonly servers: string;
  /** JetStream stream to publish into; plain NATS when absent. */
  readonly stream?: string | undefined;
  /** Connect and acknowledgement timeout, ms (default 5000). */
  readonly timeoutMs?: number;
}

/** The subject of an entry: `ferrohsm.audit.` + its action made subject-safe. */
export function subjectOf(action: string): string {
  const tokens = action.split(".").map((t) => t.replace(/[^A-Za-z0-9_-]/g, "_"))
    .filter((t) => t !== "");
  return `${SUBJECT_PREFIX}.${tokens.length === 0 ? "_" : tokens.join(".")}`;
}

/** The JetStream message id of an entry: stable across resends, distinct across logs. */
export function messageIdOf(entry: AuditEntry): string {
  return `${entry.seq}-${entryHash(entry).slice(0, 16)}`;
}

/** Publishes audit entries to NATS (JetStream when a stream is named). */
export class NatsSink implements AuditSink {
  readonly kind = "nats";
  readonly #options: NatsSinkOptions;
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #closed = false;

  constructor(options: NatsSinkOptions) {
    if (options.stream !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(options.stream)) {
      throw new RangeError("Invalid NATS stream name");
    }
    this.#options = options;
  }

  /** Publishes every entry in order. @throws when the bus cannot take them */
  async send(entries: readonly AuditEntry[]): Promise<void> {
    if (this.#closed) throw new Error("NATS sink is closed");
    const nc = this.#nc ?? await this.#connect();
    try {
      const encoder = new TextEncoder();
      const timeout = this.#options.timeoutMs ?? 5000;
      for (const entry of entries) {
        const h = headers();
        h.set("Ferrohsm-Seq", String(entry.seq));
        h.set("Ferrohsm-Hash", entryHash(entry));
        const data = encoder.encode(serializeEntry(entry));
        const subject = subjectOf(entry.action);
        if (this.#js !== undefined) {
          await this.#js.publish(subject, data, { msgID: messageIdOf(entry), headers: h, timeout });
        } else {
          nc.publish(subject, data, { headers: h });
        }
      }
      if (this.#js === undefined) await nc.flush();
    } catch (err) {
      await this.#drop(nc);
      throw err;
    }
  }

  /** True while connected to a server. */
  connected(): boolean {
    return this.#nc !== undefined && !this.#nc.isClosed();
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#nc !== undefined) await this.#drop(this.#nc);
  }

  async #connect(): Promise<NatsConnection> {
    const timeout = this.#options.timeoutMs ?? 5000;
    const nc = await connect({
      servers: this.#options.servers.split(","),
      name: "ferrohsm-audit",
      timeout,
      // Only the configured servers (and only those the launcher allowed) are dialled.
      ignoreClusterUpdates: true,
      // The forwarder owns retries: a lost connection fails the batch and is reopened.
      reconnect: false,
    });
    try {
      if (this.#options.stream !== undefined) {
        const jsm = await nc.jetstreamManager({ timeout });
        await ensureStream(jsm, this.#options.stream);
        this.#js = nc.jetstream({ timeout });
      }
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw err;
    }
    if (this.#closed) {
      await nc.close();
      throw new Error("NATS sink is closed");
    }
    this.#nc = nc;
    return nc;
  }

  async #drop(nc: NatsConnection): Promise<void> {
    if (this.#nc === nc) {
      this.#nc = undefined;
      this.#js = undefined;
    }
    await nc.close().catch(() => undefined);
  }
}

/** JetStream API error code "stream not found". */
const STREAM_NOT_FOUND = 10059;

type StreamManager = Awaited<ReturnType<NatsConnection["jetstreamManager"]>>;

/** Creates the stream (file storage, `ferrohsm.audit.>`) unless it exists. */
async function ensureStream(jsm: StreamManager, name: string): Promise<void> {
  try {
    await jsm.streams.info(name);
    return;
  } catch (err) {
    if ((err as { api_error?: { err_code?: number } }).api_error?.err_code !== STREAM_NOT_FOUND) {
      throw err;
    }
  }
  await jsm.streams.add({
    name,
    subjects: [`${SUBJECT_PREFIX}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
  });
}
