/**
 * Scale-out throughput: AES-256-GCM encrypt and ECDSA P-256 sign over HTTP (every request
 * authenticated, authorized and audited with group commit), with one node on SQLite, one
 * node on PostgreSQL, and two nodes on one PostgreSQL database (each node loaded by its
 * own wrk). The PostgreSQL cluster is a throw-away one on this machine with fsync on
 * (durable commits, like SQLite's synchronous=FULL).
 *
 *   deno task bench:scaleout [--seconds 5] [--connections 32]
 *
 * Needs wrk and PostgreSQL (initdb/pg_ctl). Prints a Markdown table. Everything (nodes,
 * database, wrk) shares this machine's cores: two nodes here measure the coordination
 * cost of sharing one chain and database, not the gain of a second machine.
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { makeInstallation } from "../testing/installation.ts";
import { startPostgres } from "../testing/postgres.ts";
import { client, type ServerProcess, startServerProcess } from "../testing/server_process.ts";
import { haveWrk, LUA_DIR, runWrk, WRK_INSTALL_HINT, type WrkResult } from "./_wrk.ts";
import { printLine } from "../src/util/logger.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { seconds: { type: "string" }, connections: { type: "string" } },
});
const SECONDS = Number(values.seconds ?? 5);
const CONNECTIONS = Number(values.connections ?? 32);

if (!(await haveWrk())) throw new Error(WRK_INSTALL_HINT);

const inst = await makeInstallation("ferrohsm-bench-scaleout-");
const pg = await startPostgres({ fsync: true });
const rows: string[] = [];
try {
  const tokenFile = await inst.tokenFile("bench", ["Administrator"]);
  const encryptBody = await inst.writeFile(
    "encrypt.json",
    JSON.stringify({ plaintext: "aGVsbG8=" }),
  );
  const signBody = await inst.writeFile("sign.json", JSON.stringify({ message: "aGVsbG8=" }));
  const common = ["--rate-limit", "1000000", "--max-concurrent", "1024"];
  const postgresFlags = (db: string) => [
    "--key-store",
    "postgres",
    "--audit-store",
    "postgres",
    "--approval-store",
    "postgres",
    "--postgres-url",
    pg.url(db),
  ];
  const setups: { name: string; nodes: () => Promise<ServerProcess[]> }[] = [
    {
      name: "1 node, SQLite",
      nodes: async () => [
        await startServerProcess(inst.flags([...common, "--data-dir", join(inst.dir, "sqlite")])),
      ],
    },
    {
      name: "1 node, PostgreSQL",
      nodes: async () => {
        const db = await pg.createDatabase("bench_one");
        return [
          await startServerProcess(
            inst.flags([...common, ...postgresFlags(db), "--data-dir", join(inst.dir, "pg1")]),
          ),
        ];
      },
    },
    {
      name: "2 nodes, PostgreSQL",
      nodes: async () => {
        const db = await pg.createDatabase("bench_two");
        const flags = [...common, ...postgresFlags(db)];
        return [
          await startServerProcess(inst.flags([...flags, "--data-dir", join(inst.dir, "pg2a")])),
          await startServerProcess(inst.flags([...flags, "--data-dir", join(inst.dir, "pg2b")])),
        ];
      },
    },
  ];
  for (const setup of setups) {
    const nodes = await setup.nodes();
    try {
      const api = client(
        (nodes[0] as ServerProcess).url,
        await inst.token("bench", ["Administrator"]),
      );
      const aes = await api("POST", "/api/v1/keys", { name: "aes", algorithm: "AES-256-GCM" });
      const ec = await api("POST", "/api/v1/keys", { name: "ec", algorithm: "EC-P256" });
      const cases = [
        {
          op: "AES-256-GCM encrypt",
          path: `/api/v1/keys/${aes.body.id}/encrypt`,
          body: encryptBody,
        },
        { op: "ECDSA P-256 sign", path: `/api/v1/keys/${ec.body.id}/sign`, body: signBody },
      ];
      for (const c of cases) {
        const results = await Promise.all(nodes.map((node) =>
          runWrk({
            url: node.url,
            script: join(LUA_DIR, "request.lua"),
            scriptArgs: ["POST", c.path, tokenFile, c.body],
            connections: Math.max(1, Math.round(CONNECTIONS / nodes.length)),
            seconds: SECONDS,
          })
        ));
        rows.push(row(setup.name, c.op, results));
      }
    } finally {
      for (const node of nodes) await node.stop();
    }
  }
} finally {
  await pg.stop();
  await inst.cleanup();
}

printLine(
  `\n${SECONDS} s per case, ${CONNECTIONS} connections in total, ${navigator.hardwareConcurrency} cores\n`,
);
printLine("| setup | operation | requests/s | p50 ms | p99 ms | errors |");
printLine("|---|---|---:|---:|---:|---:|");
for (const r of rows) printLine(r);

function row(setup: string, op: string, results: WrkResult[]): string {
  const rps = results.reduce((sum, r) => sum + r.rps, 0);
  const p50 = Math.max(...results.map((r) => r.p50)) / 1000;
  const p99 = Math.max(...results.map((r) => r.p99)) / 1000;
  const errors = results.reduce((sum, r) => sum + r.non2xx + r.socketErrors, 0);
  return `| ${setup} | ${op} | ${Math.round(rps)} | ${p50.toFixed(1)} | ${
    p99.toFixed(1)
  } | ${errors} |`;
}
