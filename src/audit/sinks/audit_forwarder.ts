/**
 * The audit forwarder: copies every committed audit entry, in seq order, from the audit
 * store to one sink (syslog, NATS), after its durable cursor. It runs beside the request
 * path, never on it: `notify()` (called after each durable audit batch) only wakes it,
 * a sink that is down or slow never delays or fails an operation, and entries committed
 * meanwhile wait in the audit store, read back by seq once the sink answers again
 * (catch-up). Failures back off exponentially (1 s to 30 s by default) and are counted.
 *
 * Delivery is at least once: the cursor is written after the sink accepted a batch, so
 * a crash or a failed batch may resend entries, never skip them (except what a
 * transport without acknowledgements loses; see the syslog sink). Entries carry their
 * seq and hash, so receivers can drop duplicates and detect gaps.
 */

import type { AuditEntry } from "../../domain/audit_entry.ts";
import type { Logger } from "../../util/logger.ts";
import type { SinkCursor } from "./sink_cursor.ts";

/** A destination of audit entries. */
export interface AuditSink {
  /** Short kind for logs ("syslog", "nats"). */
  readonly kind: string;
  /**
   * Delivers entries in order; resolves once the sink accepted all of them.
   * Rejects when the link failed (the forwarder retries the batch later).
   */
  send(entries: readonly AuditEntry[]): Promise<void>;
  /** True while the sink holds a working connection. */
  connected(): boolean;
  /** Drops the connection and releases resources. */
  close(): Promise<void>;
}

/** Where the forwarder reads entries (the AuditLog). */
export interface AuditSource {
  head(): { readonly seq: number };
  /** Entries with seq > afterSeq, ascending, at most `limit`. */
  list(afterSeq: number, limit: number): Promise<AuditEntry[]>;
}

/** Options of AuditForwarder. */
export interface AuditForwarderOptions {
  /** Stable sink id (metric label and cursor name), e.g. `syslog-1a2b3c4d`. */
  readonly id: string;
  readonly sink: AuditSink;
  readonly source: AuditSource;
  readonly cursor: SinkCursor;
  readonly log?: Logger | undefined;
  /** Entries per delivery (1..1000, default 256). */
  readonly batchSize?: number;
  /** First retry delay after a failure, ms (default 1000). */
  readonly retryMinMs?: number;
  /** Longest retry delay, ms (default 30000). */
  readonly retryMaxMs?: number;
  /** How often the forwarder looks for entries without being notified, ms (default 5000). */
  readonly pollMs?: number;
}

/** Figures of one forwarder, for metrics and health. */
export interface ForwarderStats {
  readonly id: string;
  readonly kind: string;
  /** Seq of the last entry the sink accepted. */
  readonly cursor: number;
  /** Committed entries not yet forwarded. */
  readonly lag: number;
  /** Entries forwarded since start (resends included). */
  readonly forwarded: number;
  /** Failed deliveries (and cursor writes) since start. */
  readonly failures: number;
  readonly connected: boolean;
  /** The last failure's error name, while failing; undefined once a delivery succeeds. */
  readonly lastError: string | undefined;
}

/** Forwards committed audit entries to one sink, from a durable cursor. */
export class AuditForwarder {
  readonly #id: string;
  readonly #sink: AuditSink;
  readonly #source: AuditSource;
  readonly #cursor: SinkCursor;
  readonly #log: Logger | undefined;
  readonly #batchSize: number;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;
  readonly #pollMs: number;
  #position = 0;
  #forwarded = 0;
  #failures = 0;
  #lastError: string | undefined;
  #closed = false;
  #wake: (() => void) | undefined;
  #woken = false;
  #running: Promise<void> | undefined;

  constructor(options: AuditForwarderOptions) {
    const batchSize = options.batchSize ?? 256;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 1000) {
      throw new RangeError("Invalid batchSize");
    }
    this.#id = options.id;
    this.#sink = options.sink;
    this.#source = options.source;
    this.#cursor = options.cursor;
    this.#log = options.log;
    this.#batchSize = batchSize;
    this.#retryMinMs = options.retryMinMs ?? 1000;
    this.#retryMaxMs = options.retryMaxMs ?? 30_000;
    this.#pollMs = options.pollMs ?? 5000;
  }

  /**
   * Reads the cursor and starts forwarding in the background.
   * @throws TypeError when the cursor file is corrupt
   */
  async start(): Promise<void> {
    if (this.#running !== undefined) return;
    let position = await this.#cursor.read();
    const head = this.#source.head().seq;
    if (position > head) {
      // The log is shorter than what was forwarded: it was replaced or restored. Go on
      // from its head; the receiver sees the reused seqs with other hashes.
      this.#log?.log("warn", "audit sink cursor is past the audit head", {
        sink: this.#id,
        cursor: position,
        head,
      });
      position = head;
    }
    this.#position = position;
    this.#running = this.#run();
  }

  /** Wakes the forwarder (called after each durable audit batch); never blocks. */
  notify(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** The forwarder's figures now. */
  stats(): ForwarderStats {
    return {
      id: this.#id,
      kind: this.#sink.kind,
      cursor: this.#position,
      lag: Math.max(0, this.#source.head().seq - this.#position),
      forwarded: this.#forwarded,
      failures: this.#failures,
      connected: this.#sink.connected(),
      lastError: this.#lastError,
    };
  }

  /** Stops forwarding (an in-flight delivery finishes or fails first) and closes the sink. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.#sink.close();
    await this.#running;
  }

  async #run(): Promise<void> {
    let delay = this.#retryMinMs;
    while (!this.#closed) {
      if (this.#position >= this.#source.head().seq) {
        await this.#sleep(this.#pollMs, true);
        continue;
      }
      try {
        await this.#forwardBatch();
        delay = this.#retryMinMs;
      } catch (err) {
        if (this.#closed) break;
        this.#failures++;
        const name = err instanceof Error ? err.name : "Error";
        if (this.#lastError === undefined) {
          this.#log?.log("warn", "audit sink failing; entries wait in the audit store", {
            sink: this.#id,
            error: name,
            reason: err instanceof Error ? err.message : String(err),
          });
        }
        this.#lastError = name;
        await this.#sleep(delay, false);
        delay = Math.min(delay * 2, this.#retryMaxMs);
      }
    }
  }

  async #forwardBatch(): Promise<void> {
    const entries = await this.#source.list(this.#position, this.#batchSize);
    if (entries.length === 0) return;
    await this.#sink.send(entries);
    this.#position = (entries[entries.length - 1] as AuditEntry).seq;
    this.#forwarded += entries.length;
    if (this.#lastError !== undefined) {
      this.#log?.log("info", "audit sink recovered", { sink: this.#id, cursor: this.#position });
      this.#lastError = undefined;
    }
    await this.#cursor.write(this.#position);
  }

  /** Waits `ms`, or less when notified and `wakeable`. */
  #sleep(ms: number, wakeable: boolean): Promise<void> {
    if (wakeable && this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = wakeable ? done : () => {
        if (this.#closed) done();
      };
      this.#woken = false;
    });
  }
}
