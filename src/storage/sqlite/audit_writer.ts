/**
 * Runs audit commits on a dedicated worker thread (see `audit_writer_worker.ts`), so
 * the fsync of each group commit no longer stalls the event loop that serves requests.
 * Each `append` resolves only after the worker's transaction has committed (durable),
 * exactly like the in-thread path; a failed commit rejects. A second instance commits
 * the SQLite key store's group-committed key creations (`batch`), for the same reason.
 */

/** Where the worker module is: beside this file from source, beside the bundle in a release. */
export const AUDIT_WRITER_WORKER_URL = new URL(
  import.meta.url.endsWith("/src/storage/sqlite/audit_writer.ts")
    ? "./audit_writer_worker.ts"
    : "./audit_writer_worker.js",
  import.meta.url,
);

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

/** A handle on the audit writer thread. */
export class AuditWriterThread {
  #worker: Worker;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.onmessage = (
      event: MessageEvent<{ id: number; ok: boolean; error?: string; code?: string }>,
    ) => {
      const { id, ok, error, code } = event.data;
      const pending = this.#pending.get(id);
      this.#pending.delete(id);
      if (ok) pending?.resolve();
      else {
        const err = new Error(`SQLite writer failed: ${error ?? "error"}`);
        // SQLite's extended result code, as libSQL errors carry it (see constraint.ts).
        if (code !== undefined) Object.assign(err, { extendedCode: code });
        pending?.reject(err);
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      this.#failAll(new Error("Audit writer thread crashed"));
    };
  }

  /** Starts the thread with its own connection to the database at `path`. */
  static async start(path: string): Promise<AuditWriterThread> {
    const thread = new AuditWriterThread(
      new Worker(AUDIT_WRITER_WORKER_URL, { type: "module" }),
    );
    try {
      await thread.#send({ type: "open", path });
    } catch (err) {
      thread.#worker.terminate();
      throw err;
    }
    return thread;
  }

  /** Commits rows (audit_entries column order) in one transaction on the thread. */
  append(rows: readonly unknown[][]): Promise<void> {
    return this.#send({ type: "append", rows });
  }

  /**
   * Runs prepared statements (SQL text and bound values) in one write transaction on the
   * thread. Byte values must be plain `Uint8Array`s of their own (they are copied across).
   * @throws Error with `extendedCode` (SQLite's extended result code) when it fails
   */
  batch(statements: readonly { sql: string; args: readonly unknown[] }[]): Promise<void> {
    return this.#send({ type: "batch", statements });
  }

  /** Closes the connection and stops the thread. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#send({ type: "close" });
    } finally {
      this.#closed = true;
      this.#worker.terminate();
      this.#failAll(new Error("Audit writer closed"));
    }
  }

  #send(
    msg:
      | { type: "open"; path: string }
      | { type: "append"; rows: readonly unknown[][] }
      | { type: "batch"; statements: readonly { sql: string; args: readonly unknown[] }[] }
      | { type: "close" },
  ): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("Audit writer closed"));
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...msg, id });
    });
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
