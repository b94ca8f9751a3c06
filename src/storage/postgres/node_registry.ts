/**
 * The heartbeat table of the nodes sharing one database: each node registers at start,
 * beats every few seconds and deletes its row on a clean stop. The number of live nodes
 * sizes the per-node rate-limit buckets; a row that stopped beating (or the previous row
 * of a node that restarts under the same id) is the trace of a node that died, and is
 * claimed by exactly one live node, which reconciles the writes that node may have left
 * half done. Times are the database's (`now()`), so node clocks do not matter.
 */

import { and, eq, lt, sql } from "drizzle-orm";
import type { PostgresDatabase } from "./database.ts";
import { clusterNodes } from "./schema.ts";

/** A node that stopped without deregistering: its id and where its entries start. */
export interface DeadNode {
  readonly nodeId: string;
  /** The chain head when it registered; its audit entries all come after it. */
  readonly startSeq: number;
}

/** Registration, heartbeat and liveness of the nodes in `cluster_nodes`. */
export class NodeRegistry {
  readonly #database: PostgresDatabase;
  readonly #timeoutMs: number;

  /** `timeoutMs`: a node silent for longer than this is dead (default 15 s). */
  constructor(database: PostgresDatabase, options: { readonly timeoutMs?: number } = {}) {
    this.#database = database;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** This node's id. */
  get nodeId(): string {
    return this.#database.nodeId;
  }

  /**
   * Registers this node as starting at `startSeq`; returns its previous registration when
   * the last process under this id stopped without deregistering (a crash).
   */
  async register(startSeq: number): Promise<DeadNode | undefined> {
    const nodeId = this.nodeId;
    return await this.#database.db.transaction(async (tx) => {
      const previous = await tx.delete(clusterNodes).where(eq(clusterNodes.nodeId, nodeId))
        .returning({ nodeId: clusterNodes.nodeId, startSeq: clusterNodes.startSeq });
      await tx.insert(clusterNodes).values({
        nodeId,
        startedAt: sql`now()`,
        lastSeen: sql`now()`,
        startSeq,
      });
      return previous[0];
    });
  }

  /**
   * Records that this node is alive; re-registers at `startSeq` when its row was claimed
   * as dead meanwhile (a long pause). Returns false in that case.
   */
  async beat(startSeq: number): Promise<boolean> {
    const updated = await this.#database.db.update(clusterNodes).set({ lastSeen: sql`now()` })
      .where(eq(clusterNodes.nodeId, this.nodeId)).returning({ nodeId: clusterNodes.nodeId });
    if (updated.length === 1) return true;
    await this.register(startSeq);
    return false;
  }

  /** Nodes seen within the timeout (this one included once it has registered). */
  async liveCount(): Promise<number> {
    const rows = await this.#database.db.select({ n: sql<number>`count(*)::int` })
      .from(clusterNodes).where(sql`${clusterNodes.lastSeen} > now() - ${this.#interval()}`);
    return rows[0]?.n ?? 0;
  }

  /** Deletes and returns the rows of nodes silent for longer than the timeout. */
  async claimDead(): Promise<DeadNode[]> {
    return await this.#database.db.delete(clusterNodes)
      .where(and(
        lt(clusterNodes.lastSeen, sql`now() - ${this.#interval()}`),
        sql`${clusterNodes.nodeId} <> ${this.nodeId}`,
      ))
      .returning({ nodeId: clusterNodes.nodeId, startSeq: clusterNodes.startSeq });
  }

  /** Deletes this node's row (a clean stop). */
  async deregister(): Promise<void> {
    await this.#database.db.delete(clusterNodes).where(eq(clusterNodes.nodeId, this.nodeId));
  }

  #interval() {
    return sql`make_interval(secs => ${this.#timeoutMs / 1000})`;
  }
}
