/**
 * Cache coherence between nodes: every committed change to a key, approval, keyset or
 * policy is announced with `NOTIFY ferrohsm_changes` (sent inside the writing
 * transaction, so PostgreSQL delivers it only on commit), and each node `LISTEN`s on a
 * dedicated connection and drops the affected cache entries.
 *
 * A node that loses its LISTEN connection may have missed notifications: it drops every
 * cache (`onReset`) when the loss is noticed, keeps dropping them every probe interval
 * while it is disconnected (so nothing it caches meanwhile lives longer than that), and
 * once more when LISTEN is back. A silent loss (no TCP reset) is noticed by a probe
 * query on the connection that must answer within the probe timeout.
 */

import type { Options, PostgresType, Sql } from "postgres";
import { sql } from "drizzle-orm";
import type { Logger } from "../../util/logger.ts";
import type { PostgresDatabase } from "./database.ts";

/** The channel every node listens on. */
export const CHANGES_CHANNEL = "ferrohsm_changes";

/** What changed. */
export type ChangeKind = "key" | "approval" | "keyset" | "policy";

const KINDS: readonly string[] = ["key", "approval", "keyset", "policy"];

/** One announced change. */
export interface Change {
  readonly kind: ChangeKind;
  /** The record id (empty for a change of the whole keyset or policy set). */
  readonly id: string;
  /** The node that committed it. */
  readonly node: string;
}

/** What a transaction (or the pool) offers for running a statement. */
export type PgExecutor = Parameters<
  Parameters<PostgresDatabase["db"]["transaction"]>[0]
>[0];

/** Sends a change notification as part of `tx` (delivered only if it commits). */
export async function notifyChange(
  tx: Pick<PgExecutor, "execute">,
  node: string,
  kind: ChangeKind,
  id: string,
): Promise<void> {
  await tx.execute(sql`select pg_notify(${CHANGES_CHANNEL}, ${`${node}\t${kind}\t${id}`})`);
}

/** Parses a notification payload; undefined when malformed. */
export function parseChange(payload: string): Change | undefined {
  const [node, kind, id, extra] = payload.split("\t");
  if (node === undefined || kind === undefined || id === undefined || extra !== undefined) {
    return undefined;
  }
  if (!KINDS.includes(kind)) return undefined;
  return { node, kind: kind as ChangeKind, id };
}

/**
 * Client options plus the driver's notification hooks (implemented by `postgres` for
 * every connection of a client, but absent from its type declarations).
 */
type ListenerOptions = Options<Record<string, PostgresType>> & {
  onnotify?: (channel: string, payload: string) => void;
  onclose?: (connectionId: number) => void;
};

/** Options of `PostgresChangeFeed.start`. */
export interface ChangeFeedOptions {
  /** Another node committed `change`: drop what it affects. */
  readonly onChange: (change: Change) => void;
  /** Notifications may have been missed: drop every cache. */
  readonly onReset: () => void;
  /** Time between two probes of the LISTEN connection (default 1000 ms). */
  readonly probeIntervalMs?: number;
  /** A probe slower than this counts as a lost connection (default 2000 ms). */
  readonly probeTimeoutMs?: number;
  readonly log?: Logger | undefined;
}

/** Figures for health and metrics. */
export interface ChangeFeedStats {
  readonly connected: boolean;
  readonly received: number;
  /** Times every cache was dropped because the connection was lost. */
  readonly resets: number;
}

/** The LISTEN side of the change feed, plus `publish` for changes made outside a store. */
export class PostgresChangeFeed {
  readonly #database: PostgresDatabase;
  readonly #options: ChangeFeedOptions;
  #listener: Sql;
  #connected = false;
  #received = 0;
  #resets = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #probing = false;
  #closed = false;

  private constructor(database: PostgresDatabase, options: ChangeFeedOptions) {
    this.#database = database;
    this.#options = options;
    this.#listener = this.#client();
  }

  /** Starts listening. @throws Error when the first LISTEN fails */
  static async start(
    database: PostgresDatabase,
    options: ChangeFeedOptions,
  ): Promise<PostgresChangeFeed> {
    const feed = new PostgresChangeFeed(database, options);
    await feed.#listen();
    feed.#timer = setInterval(() => void feed.#probe(), options.probeIntervalMs ?? 1000);
    return feed;
  }

  /** Announces a change made outside a store transaction (keyset, policy). */
  async publish(kind: ChangeKind, id = ""): Promise<void> {
    await notifyChange(this.#database.db, this.#database.nodeId, kind, id);
  }

  /** Connection state and counters. */
  stats(): ChangeFeedStats {
    return { connected: this.#connected, received: this.#received, resets: this.#resets };
  }

  /** Stops listening and closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#listener.end({ timeout: 1 });
  }

  /** A one-connection client that never idles out (its LISTEN must stay registered). */
  #client(): Sql {
    const options: ListenerOptions = {
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      onnotify: (channel, payload) => this.#notified(channel, payload),
      onclose: () => this.#lost("connection closed"),
    };
    return this.#database.connect(options);
  }

  async #listen(): Promise<void> {
    await this.#listener.unsafe(`LISTEN ${CHANGES_CHANNEL}`);
    this.#connected = true;
  }

  #notified(channel: string, payload: string): void {
    if (channel !== CHANGES_CHANNEL) return;
    const change = parseChange(payload);
    if (change === undefined) {
      this.#options.log?.log("warn", "malformed change notification ignored");
      return;
    }
    this.#received++;
    if (change.node === this.#database.nodeId) return;
    this.#options.onChange(change);
  }

  #lost(reason: string): void {
    if (this.#closed) return;
    if (this.#connected) {
      this.#options.log?.log("warn", "change feed connection lost: caches dropped", { reason });
    }
    this.#connected = false;
    this.#reset();
  }

  #reset(): void {
    this.#resets++;
    try {
      this.#options.onReset();
    } catch {
      // a cache that cannot be dropped must not stop the feed
    }
  }

  async #probe(): Promise<void> {
    if (this.#probing || this.#closed) return;
    this.#probing = true;
    const timeoutMs = this.#options.probeTimeoutMs ?? 2000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("probe timed out")), timeoutMs);
      });
      if (this.#connected) {
        await Promise.race([this.#listener`select 1`, timeout]);
      } else {
        // Still disconnected: whatever was cached since the last reset may be stale.
        this.#reset();
        await Promise.race([this.#listen(), timeout]);
        this.#options.log?.log("info", "change feed reconnected: caches dropped");
        this.#reset();
      }
    } catch (err) {
      if (this.#connected) {
        // A silent loss: drop the connection; the next probe listens on a new one.
        this.#lost(err instanceof Error ? err.message : "probe failed");
        const dead = this.#listener;
        this.#listener = this.#client();
        await dead.end({ timeout: 0 }).catch(() => {});
      }
    } finally {
      clearTimeout(timer);
      this.#probing = false;
    }
  }
}
