/**
 * Runs this process as one node of a cluster sharing a PostgreSQL database:
 *
 * - the change feed drops what other nodes changed from this node's caches (verified
 *   key records, loaded keys, key listings; the JWT keyset is re-read; policy changes go
 *   to `onPolicyChange`), and drops every cache of mutable state (records, listings,
 *   keyset, and the policies are reloaded) when notifications may have been missed;
 * - the record journal accepts another node's in-flight write for a few seconds;
 * - the node registers in the heartbeat table (reconciling its own previous process's
 *   half-done writes when that one crashed), beats, sizes its rate-limit buckets to its
 *   share of the live nodes, and claims and reconciles nodes that stopped beating;
 * - destroy and import requests are limited exactly, per actor, across the cluster.
 *
 * A clean stop deregisters (after the `server.stop` marker).
 */

import type { StrictLimits } from "../access/guard.ts";
import type { AuditLog } from "../audit/audit_log.ts";
import type { RecordJournal } from "../audit/record_journal.ts";
import type { JwksKeyring } from "../auth/jwks.ts";
import type { HttpLimits } from "../http/limits_config.ts";
import type { KeyLoader } from "../keys/key_loader.ts";
import type { KeyRecords } from "../keys/key_records.ts";
import type { ListCache } from "../keys/list_cache.ts";
import type { PostgresAuditStore } from "../storage/postgres/audit_store.ts";
import {
  type Change,
  type ChangeFeedStats,
  type ChangeKind,
  PostgresChangeFeed,
} from "../storage/postgres/change_feed.ts";
import type { PostgresDatabase } from "../storage/postgres/database.ts";
import { type DeadNode, NodeRegistry } from "../storage/postgres/node_registry.ts";
import { PostgresRateBuckets } from "../storage/postgres/rate_buckets.ts";
import type { ApprovalStore, KeyStore, PolicyStore } from "../storage/ports.ts";
import type { Logger } from "../util/logger.ts";
import { reconcileDeadNode } from "./cluster_journal.ts";

/** The audit actions limited exactly across the cluster. */
export const STRICT_ACTIONS: readonly string[] = ["key.destroy.request", "key.import"];

/** Timings of a node (defaults suit production; tests shorten them). */
export interface ClusterTimings {
  /** Between two heartbeats (default 2000 ms). */
  readonly heartbeatMs?: number;
  /** Silence after which a node counts as dead (default 15 000 ms). */
  readonly deadAfterMs?: number;
  /** How long another node's commit may wait for its store write (default 10 000 ms). */
  readonly inFlightMs?: number;
}

/** What the node wiring needs from the services. */
export interface ClusterParts {
  readonly database: PostgresDatabase;
  readonly audit: PostgresAuditStore;
  readonly keys: KeyStore;
  readonly approvals: ApprovalStore;
  /** The policy store (reconciled like the others when a node dies mid-write). */
  readonly policies?: PolicyStore | undefined;
  readonly journal: RecordJournal;
  readonly auditLog: AuditLog;
  readonly records: KeyRecords;
  readonly loader: KeyLoader;
  readonly listCache: ListCache;
  readonly keyring: JwksKeyring;
  readonly limits: HttpLimits;
  readonly log: Logger;
  /** Policy scripts changed on another node (id; "" when any may have): reload them. */
  readonly onPolicyChange?: ((id: string) => void) | undefined;
}

/** A running cluster node. */
export interface ClusterNode {
  /** This node's id. */
  readonly nodeId: string;
  /** Announces a change this node made outside a store (a keyset or policy update). */
  publish(kind: ChangeKind, id?: string): Promise<void>;
  /** Live nodes at the last heartbeat, and the change feed's state. */
  stats(): { readonly liveNodes: number; readonly feed: ChangeFeedStats };
  /** Stops beating and listening, and deregisters (a clean stop). */
  close(): Promise<void>;
}

/**
 * Wires the caches to the change feed, registers the node (reconciling its previous
 * process's writes if that one crashed) and starts the heartbeat.
 * @throws Error when the database refuses the registration or LISTEN
 */
export async function startClusterNode(
  parts: ClusterParts,
  timings: ClusterTimings = {},
): Promise<ClusterNode> {
  const heartbeatMs = timings.heartbeatMs ?? 2000;
  parts.journal.acceptInFlight(timings.inFlightMs ?? 10_000);
  // Loaded keys are not dropped on a reset: they come from immutable sealed versions, and
  // every use checks the key's record (state, current version) first, which is dropped.
  const dropAll = () => {
    parts.records.clear();
    parts.listCache.invalidate();
    void parts.keyring.reload().catch(() => {});
    parts.onPolicyChange?.("");
  };
  const feed = await PostgresChangeFeed.start(parts.database, {
    onChange: (change) => applyChange(parts, change),
    onReset: dropAll,
    log: parts.log,
  });
  const registry = new NodeRegistry(parts.database, { timeoutMs: timings.deadAfterMs ?? 15_000 });
  const reconcile = async (dead: DeadNode) => {
    const failed = await reconcileDeadNode(dead, {
      entriesOf: (node, after) => parts.audit.entriesOf(node, after),
      journal: parts.journal,
      keys: parts.keys,
      approvals: parts.approvals,
      policies: parts.policies,
      auditLog: parts.auditLog,
    });
    if (failed.length > 0) {
      parts.log.log("warn", "reconciled writes of a stopped node", {
        node: dead.nodeId,
        records: failed.length,
      });
    }
  };
  let liveNodes = 1;
  try {
    const previous = await registry.register(parts.auditLog.head().seq);
    if (previous !== undefined) await reconcile(previous);
  } catch (err) {
    await feed.close();
    throw err;
  }
  let stopped = false;
  let beating: Promise<void> | undefined;
  const beat = async () => {
    await registry.beat(parts.auditLog.head().seq);
    liveNodes = Math.max(1, await registry.liveCount());
    parts.limits.actor.setShare(1 / liveNodes);
    parts.limits.ip.setShare(1 / liveNodes);
    for (const dead of await registry.claimDead()) await reconcile(dead);
  };
  const timer = setInterval(() => {
    if (stopped || beating !== undefined) return;
    beating = beat().catch((err) => {
      parts.log.log("warn", "cluster heartbeat failed", {
        error: err instanceof Error ? err.message : String(err),
      });
    }).finally(() => beating = undefined);
  }, heartbeatMs);
  await beat();
  return {
    nodeId: registry.nodeId,
    publish: (kind, id = "") => feed.publish(kind, id),
    stats: () => ({ liveNodes, feed: feed.stats() }),
    async close() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await beating;
      await feed.close();
      await registry.deregister().catch(() => {});
    },
  };
}

/**
 * The strict limits of a cluster: `perMinute` requests per actor and action a minute
 * (the whole minute's worth as burst), counted in the shared database.
 */
export function clusterStrictLimits(
  database: PostgresDatabase,
  perMinute: number,
): StrictLimits {
  const buckets = new PostgresRateBuckets(database);
  const limit = { rps: perMinute / 60, burst: perMinute };
  return {
    actions: STRICT_ACTIONS,
    take: async (actor, action) => (await buckets.take(`${action}|${actor.id}`, limit)).allowed,
  };
}

function applyChange(parts: ClusterParts, change: Change): void {
  switch (change.kind) {
    case "key":
      parts.records.forget(change.id);
      parts.loader.invalidate(change.id);
      parts.listCache.invalidate();
      return;
    case "approval":
      // Approvals are read from the store on every request: nothing cached here.
      return;
    case "keyset":
      void parts.keyring.reload().catch(() => {});
      return;
    case "policy":
      parts.onPolicyChange?.(change.id);
      return;
  }
}
