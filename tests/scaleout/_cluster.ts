/**
 * Scale-out test fixture: a fresh database on the process's throw-away PostgreSQL
 * cluster and FerroHSM nodes started as real server processes (through the launcher,
 * with their derived permissions) over it, each with its own data dir but the same root
 * secrets and keyset. Every caller stops the nodes and cleans up in a `finally`.
 */

import { join } from "node:path";
import { type Installation, makeInstallation } from "../../testing/installation.ts";
import { postgresUnavailable, sharedPostgres } from "../../testing/postgres.ts";
import {
  type ApiCall,
  client,
  type ServerProcess,
  startServerProcess,
} from "../../testing/server_process.ts";

/** Why these tests skip here ("" when they run). */
export const SKIP = postgresUnavailable() ?? "";

/** Registers a scale-out test; ignored (the reason in its name) without PostgreSQL. */
export function clusterTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  Deno.test({ name: SKIP === "" ? name : `${name} (skipped: ${SKIP})`, ignore: SKIP !== "", fn });
}

/** One installation, one database, and its nodes. */
export interface Cluster {
  readonly inst: Installation;
  readonly databaseUrl: string;
  /** Nodes started so far, by index (a restarted node replaces its entry). */
  readonly nodes: ServerProcess[];
  /** Starts node `index` (data dir `data-<index>`), reusing its data dir when restarted. */
  start(index: number): Promise<ServerProcess>;
  /** An API client for node `index` as `sub` with the Administrator role. */
  as(index: number, sub: string): Promise<ApiCall>;
  /** Stops every running node, then removes the installation. */
  cleanup(): Promise<void>;
}

/** Serve flags every node shares (besides its data dir). */
export function clusterFlags(databaseUrl: string, extra: readonly string[] = []): string[] {
  return [
    "--key-store",
    "postgres",
    "--audit-store",
    "postgres",
    "--approval-store",
    "postgres",
    "--postgres-url",
    databaseUrl,
    "--node-timeout",
    "3",
    ...extra,
  ];
}

/** A fresh database and installation; nodes start on demand. */
export async function makeCluster(extra: readonly string[] = []): Promise<Cluster> {
  const pg = await sharedPostgres();
  const databaseUrl = pg.url(await pg.createDatabase("ferrohsm_cluster"));
  const inst = await makeInstallation("ferrohsm-cluster-");
  const nodes: ServerProcess[] = [];
  const stopped = new Set<ServerProcess>();
  return {
    inst,
    databaseUrl,
    nodes,
    async start(index) {
      const node = await startServerProcess([
        ...inst.flags(clusterFlags(databaseUrl, extra)),
        "--data-dir",
        join(inst.dir, `data-${index}`),
      ]);
      nodes[index] = node;
      return node;
    },
    async as(index, sub) {
      const node = nodes[index];
      if (node === undefined) throw new Error(`node ${index} is not started`);
      return client(node.url, await inst.token(sub, ["Administrator"]));
    },
    async cleanup() {
      for (const node of nodes) {
        if (node !== undefined && !stopped.has(node)) {
          stopped.add(node);
          await node.stop();
        }
      }
      await inst.cleanup();
    },
  };
}

/** Every audit entry a node serves, paged through `/api/v1/audit`. */
export async function auditEntries(
  api: ApiCall,
): Promise<{ seq: number; actor: string; action: string; result: string }[]> {
  const out = [];
  for (let after = 0;;) {
    const page = await api("GET", `/api/v1/audit?after_seq=${after}&limit=1000`);
    if (page.status !== 200) throw new Error(`audit list answered ${page.status}`);
    out.push(...page.body.items);
    if (page.body.items.length < 1000) return out;
    after = page.body.items[page.body.items.length - 1].seq;
  }
}
