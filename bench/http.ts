/**
 * The reproducible HTTP benchmark (issue 4): starts the real server through the launcher
 * (`src/cli/launch.ts serve`, so with its derived least-privilege permissions) on port 0
 * with SQLite key/approval stores and durable audit, drives it with `wrk` and the Lua
 * scripts in bench/lua/, and prints one Markdown table: req/s, p50, p99 and errors per
 * scenario and connection count, each next to its in-run references (the bare
 * `/readyz` route of the same server, a bare Hono server, and the raw in-process rate
 * of the primitive). Then the cost comparisons at the target concurrency, through the
 * bench-only entry bench/_variant_server.ts: durable audit vs audit to memory, and the
 * JWT verifier vs a Map-lookup stub. Every request is authenticated and audited.
 *
 *   deno task bench:http [--seconds 5] [--connections 1,8,32,128] [--runs 3]
 *     [--sweep-runs 1] [--target 32] [--only aes,hmac,...] [--audit-store sqlite|file]
 *     [--compare-runs 5] [--no-compare] [--write-docs]
 *
 * Medians of `--runs` runs at the target concurrency, `--sweep-runs` runs at the other
 * connection counts (the default full run takes about 9 minutes on 2 cores). Needs
 * `wrk` (Debian: `apt-get install wrk`).
 */

import { makeInstallation } from "../testing/installation.ts";
import { ROOT, type ServerProcess, startServerProcess } from "../testing/server_process.ts";
import { parseArgs } from "node:util";
import { join } from "node:path";
import {
  fmtLatency,
  fmtRate,
  fmtRatio,
  haveWrk,
  machineInfo,
  machineLine,
  markdownTable,
  median,
  progress,
  runWrk,
  writeDocsSection,
  WRK_INSTALL_HINT,
  type WrkResult,
} from "./_harness.ts";
import { measureReferences, REFERENCE_NAMES, type ReferenceId } from "./_references.ts";
import { type PreparedScenario, prepareScenario, type Scenario, SCENARIOS } from "./_scenarios.ts";
import { printLine } from "../src/util/logger.ts";
import { withCpu } from "./_cpu.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "1,8,32,128" },
    runs: { type: "string", default: "3" },
    "sweep-runs": { type: "string", default: "1" },
    target: { type: "string", default: "32" },
    only: { type: "string" },
    "audit-store": { type: "string", default: "sqlite" },
    "no-compare": { type: "boolean", default: false },
    "write-docs": { type: "boolean", default: false },
    "ref-seconds": { type: "string", default: "1" },
    "compare-runs": { type: "string", default: "5" },
  },
});

const SECONDS = Number(values.seconds);
const CONNECTIONS = values.connections.split(",").map(Number);
const RUNS = Number(values.runs);
const COMPARE_RUNS = Number(values["compare-runs"]);
const SWEEP_RUNS = Math.min(Number(values["sweep-runs"]), RUNS);
const TARGET = Number(values.target);
const REF_SECONDS = Number(values["ref-seconds"]);
const AUDIT_STORE = values["audit-store"];
const ONLY = values.only === undefined ? undefined : new Set(values.only.split(","));
/** The references are always measured, whatever `--only` says. */
const ALWAYS = new Set(["bare", "readyz", "healthz"]);
const COMPARE_SCENARIOS = ["aes", "ec"].filter((id) => ONLY === undefined || ONLY.has(id));
/** The serve flags that keep the limits out of the way of the benchmark. */
const LIMIT_FLAGS = ["--rate-limit", "1000000", "--max-concurrent", "1024", "--max-queue", "4096"];

if (
  !(SECONDS > 0) || CONNECTIONS.some((c) => !(c >= 1)) || !(RUNS >= 1) ||
  !["sqlite", "file"].includes(AUDIT_STORE) || !CONNECTIONS.includes(TARGET)
) {
  throw new TypeError("bad options: see the usage at the top of bench/http.ts");
}
if (!(await haveWrk())) {
  progress(WRK_INSTALL_HINT);
  Deno.exit(2);
}

/** The variants of the cost comparisons. */
const VARIANTS = [
  {
    id: "durable",
    label: `durable audit (${AUDIT_STORE}), JWT verifier`,
    args: ["--audit", "store"],
  },
  { id: "memory", label: "audit to memory, JWT verifier", args: ["--audit", "memory"] },
  {
    id: "stub",
    label: `durable audit (${AUDIT_STORE}), auth stub (Map lookup)`,
    args: ["--auth", "stub"],
  },
] as const;

const selected = SCENARIOS.filter((s) =>
  ALWAYS.has(s.id) || ONLY === undefined || ONLY.has(s.id) ||
  (s.floorOf !== undefined && ONLY.has(s.floorOf))
);
const machine = await machineInfo();
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;

/** Results per `scenario@connections`. */
const cells = new Map<string, WrkResult[]>();
/** Server CPU µs per completed request (server process and descendants), per `scenario@connections`. */
const cpuCells = new Map<string, number[]>();
const refs = new Map<ReferenceId, number[]>();
const cell = (id: string, c: number) => cells.get(`${id}@${c}`) ?? [];

const inst = await makeInstallation();
const servers: ServerProcess[] = [];
try {
  progress(`[${elapsed()}] starting the server (launcher, sqlite stores, ${AUDIT_STORE} audit)`);
  const server = await startServerProcess(
    inst.flags(["--audit-store", AUDIT_STORE, "--key-store", "sqlite", ...LIMIT_FLAGS]),
  );
  servers.push(server);
  const bare = await startServerProcess([], {
    entry: join(ROOT, "bench/_bare_server.ts"),
    permissions: ["--no-prompt", "--allow-net=127.0.0.1"],
  });
  servers.push(bare);
  const prepared: PreparedScenario[] = [];
  for (const s of selected) {
    prepared.push(await prepareScenario(s, s.kind === "bare" ? bare.url : server.url, inst));
  }
  const urlOf = (s: Scenario) => (s.kind === "bare" ? bare.url : server.url);

  progress(`[${elapsed()}] warming up`);
  for (const p of prepared) {
    await runWrk({
      url: urlOf(p.scenario),
      script: p.script,
      scriptArgs: await p.args(),
      connections: 8,
      seconds: 1,
    });
  }

  for (let run = 1; run <= RUNS; run++) {
    progress(`[${elapsed()}] run ${run}/${RUNS}: in-process references`);
    const r = await measureReferences(REF_SECONDS);
    for (const [id, v] of Object.entries(r) as [ReferenceId, number][]) {
      refs.set(id, [...(refs.get(id) ?? []), v]);
    }
    for (const p of prepared) {
      for (const c of CONNECTIONS) {
        if (c !== TARGET && run > SWEEP_RUNS) continue;
        const scriptArgs = await p.args();
        const { result, cpuUs } = await withCpu(
          p.scenario.kind === "bare" ? bare.serverPid : server.serverPid,
          () =>
            runWrk({
              url: urlOf(p.scenario),
              script: p.script,
              scriptArgs,
              connections: c,
              seconds: SECONDS,
            }),
        );
        const key = `${p.scenario.id}@${c}`;
        cells.set(key, [...(cells.get(key) ?? []), result]);
        const perRequest = result.requests > 0 ? cpuUs / result.requests : NaN;
        cpuCells.set(key, [...(cpuCells.get(key) ?? []), perRequest]);
        progress(
          `[${elapsed()}] run ${run} ${p.scenario.id} c=${c}: ${fmtRate(result.rps)} req/s, p99 ${
            fmtLatency(result.p99)
          }, errors ${result.non2xx + result.socketErrors}, server CPU ${
            fmtCpu(perRequest)
          } per request`,
        );
      }
    }
  }
  const rssAfter = await server.rss();

  const compare = values["no-compare"] || COMPARE_SCENARIOS.length === 0
    ? undefined
    : await runComparisons();

  const report = renderReport(compare, rssAfter);
  printLine(report);
  if (values["write-docs"]) {
    await writeDocsSection(
      join(ROOT, "docs/performance.md"),
      "bench:http",
      "## HTTP benchmark (REST over wrk)",
      report,
    );
    progress("docs/performance.md updated (section bench:http)");
  }
} finally {
  for (const s of servers) await s.stop().catch(() => {});
  await inst.cleanup();
}

/** Comparison results: variant id → scenario id → req/s of each run. */
type Comparison = Map<string, Map<string, WrkResult[]>>;

async function runComparisons(): Promise<Comparison> {
  const out: Comparison = new Map();
  const targets: { id: string; server: ServerProcess; prepared: PreparedScenario[] }[] = [];
  for (const v of VARIANTS) {
    const vi = await makeInstallation("ferrohsm-bench-variant-");
    progress(`[${elapsed()}] starting variant server: ${v.label}`);
    const server = await startServerProcess(
      vi.flags(["--audit-store", AUDIT_STORE, "--key-store", "sqlite", ...LIMIT_FLAGS]),
      { entry: join(ROOT, "bench/_variant_server.ts"), entryArgs: v.args },
    );
    servers.push({ ...server, stop: async () => (await server.stop(), await vi.cleanup(), 0) });
    const prepared = [];
    for (const id of COMPARE_SCENARIOS) {
      const s = SCENARIOS.find((x) => x.id === id) as Scenario;
      const p = await prepareScenario(s, server.url, vi);
      await runWrk({
        url: server.url,
        script: p.script,
        scriptArgs: await p.args(),
        connections: 8,
        seconds: 1,
      });
      prepared.push(p);
    }
    targets.push({ id: v.id, server, prepared });
    out.set(v.id, new Map());
  }
  for (let run = 1; run <= COMPARE_RUNS; run++) {
    for (const id of COMPARE_SCENARIOS) {
      // Rotate the order each run so no variant always runs first (the machine drifts).
      const order = targets.map((_, i) => targets[(i + run) % targets.length] as typeof targets[0]);
      for (const t of order) {
        const p = t.prepared.find((x) => x.scenario.id === id) as PreparedScenario;
        const result = await runWrk({
          url: t.server.url,
          script: p.script,
          scriptArgs: await p.args(),
          connections: TARGET,
          seconds: SECONDS,
        });
        const byScenario = out.get(t.id) as Map<string, WrkResult[]>;
        byScenario.set(id, [...(byScenario.get(id) ?? []), result]);
        progress(
          `[${elapsed()}] compare run ${run} ${id} ${t.id}: ${fmtRate(result.rps)} req/s`,
        );
      }
    }
  }
  return out;
}

/** Formats server CPU per request, in µs. */
function fmtCpu(us: number): string {
  if (!Number.isFinite(us)) return "–";
  return us >= 100 ? `${us.toFixed(0)} µs` : `${us.toFixed(1)} µs`;
}

/** Median server CPU µs per request of a cell. */
function cpuOf(id: string, c: number): number {
  return median(cpuCells.get(`${id}@${c}`) ?? []);
}

function med(results: readonly WrkResult[], pick: (r: WrkResult) => number): number {
  return median(results.map(pick));
}

function renderReport(compare: Comparison | undefined, rss: { rss: number; peak: number }): string {
  const refMed = (id: ReferenceId) => median(refs.get(id) ?? []);
  const readyz = med(cell("readyz", TARGET), (r) => r.rps);
  const readyzAt = (c: number) => med(cell("readyz", c), (r) => r.rps);
  const lines: string[] = [];
  const cmd = `npx -y deno@2.9.6 task bench:http${
    Deno.args.length ? " " + Deno.args.join(" ") : ""
  }`;
  lines.push(`Machine: ${machineLine(machine)}.`);
  lines.push("");
  lines.push(`Command: \`${cmd}\``);
  lines.push("");
  lines.push(
    `Server: \`src/cli/launch.ts serve\` (derived permissions), SQLite key and approval stores, ` +
      `${AUDIT_STORE} audit (durable, group commit), \`${
        LIMIT_FLAGS.join(" ")
      }\`; every /api request ` +
      `carries an HS256 bearer token (Administrator + Service, minted per cell, verified and ` +
      `cached by digest), passes RBAC and is audited before it is answered. wrk -t2 (-t1 at 1 ` +
      `connection), ${SECONDS} s per cell, median of ${RUNS} runs at ${TARGET} connections and ` +
      `${SWEEP_RUNS === RUNS ? RUNS : SWEEP_RUNS} at the others; latencies are wrk's (µs/ms). ` +
      `Server CPU/req: utime + stime of the serving process, its threads and its descendant ` +
      `processes (/proc/<pid>/stat) over the cell, divided by the requests wrk completed.`,
  );
  lines.push("");
  const header = [
    "scenario",
    "conns",
    "req/s",
    "p50",
    "p99",
    "errors",
    "server CPU/req",
    "÷ /readyz",
    "raw op/s (1 thread)",
    "÷ raw",
  ];
  const rows: string[][] = [];
  for (const s of selected) {
    for (const c of CONNECTIONS) {
      const results = cell(s.id, c);
      if (results.length === 0) continue;
      const rps = med(results, (r) => r.rps);
      const errors = results.reduce((n, r) => n + r.non2xx + r.socketErrors, 0);
      const raw = s.reference === undefined ? NaN : refMed(s.reference);
      rows.push([
        s.label,
        String(c),
        fmtRate(rps),
        fmtLatency(med(results, (r) => r.p50)),
        fmtLatency(med(results, (r) => r.p99)),
        String(errors),
        fmtCpu(cpuOf(s.id, c)),
        s.id === "readyz" || s.kind === "bare" ? "–" : fmtRatio(rps / readyzAt(c)),
        fmtRate(raw),
        fmtRatio(rps / raw),
      ]);
    }
  }
  lines.push(markdownTable(header, rows, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9])));
  lines.push("");
  lines.push(
    `Server RSS after the sweep: ${(rss.rss / 2 ** 20).toFixed(0)} MiB (peak ${
      (rss.peak / 2 ** 20).toFixed(0)
    } MiB), from /proc/<pid>/status of the serving process.`,
  );
  lines.push("");
  lines.push("In-process references (one thread, one operation at a time, medians of the runs):");
  lines.push("");
  lines.push(markdownTable(
    ["reference", "ops/s", "µs/op"],
    (Object.keys(REFERENCE_NAMES) as ReferenceId[]).map((id) => [
      REFERENCE_NAMES[id],
      fmtRate(refMed(id)),
      (1e6 / refMed(id)).toFixed(1),
    ]),
    new Set([1, 2]),
  ));

  const targets: string[][] = [];
  const at = (id: string) => med(cell(id, TARGET), (r) => r.rps);
  const p99 = (id: string) => med(cell(id, TARGET), (r) => r.p99);
  const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
  for (const id of ["aes", "hmac"]) {
    if (cell(id, TARGET).length === 0) continue;
    const ratio = at(id) / readyz;
    targets.push([
      `${
        id === "aes" ? "AES-GCM 1 KiB encrypt" : "HMAC 1 KiB"
      } ≥ 25 % of the bare request (/readyz), p99 ≤ 10 ms`,
      `${fmtRate(at(id))} req/s = ${(ratio * 100).toFixed(1)} % of /readyz ${fmtRate(readyz)} ` +
      `(${(at(id) / at("healthz") * 100).toFixed(0)} % of /healthz, ${
        (at(id) / at("bare") * 100).toFixed(1)
      } % of bare Hono); p99 ${fmtLatency(p99(id))}`,
      verdict(ratio >= 0.25 && p99(id) <= 10_000),
    ]);
  }
  const bareCpu = cpuOf("bare", TARGET);
  for (const id of ["aes", "hmac"]) {
    if (cell(id, TARGET).length === 0) continue;
    const cpu = cpuOf(id, TARGET);
    const floor = cpuOf(`floor-${id}`, TARGET);
    targets.push([
      `${id === "aes" ? "AES-GCM 1 KiB encrypt" : "HMAC 1 KiB"} server CPU per request ≤ 60 µs ` +
      `and ≤ 8 × the bare request`,
      `${fmtCpu(cpu)} = ${fmtRatio(cpu / bareCpu)} × bare Hono ${fmtCpu(bareCpu)} (/readyz ${
        fmtCpu(cpuOf("readyz", TARGET))
      }); the stack's floor for it (Hono + Web Crypto, nothing else) ${fmtCpu(floor)} = ${
        fmtRatio(floor / bareCpu)
      } × bare`,
      verdict(cpu <= 60 && cpu <= 8 * bareCpu),
    ]);
  }
  if (cell("ec", TARGET).length > 0) {
    const ratio = at("ec") / refMed("ecdsa");
    targets.push([
      "EC-P256 sign over REST ≥ 1.0 × single-thread in-process Web Crypto sign (issue 12)",
      `${fmtRate(at("ec"))} req/s = ${ratio.toFixed(2)} × ${fmtRate(refMed("ecdsa"))}; the ` +
      `stack's floor (Hono + Web Crypto sign, nothing else) ${fmtRate(at("floor-ec"))} req/s = ${
        (at("floor-ec") / refMed("ecdsa")).toFixed(2)
      } ×`,
      verdict(ratio >= 1.0),
    ]);
  }
  if (cell("create", TARGET).length > 0) {
    const best = Math.max(
      ...CONNECTIONS.map((c) => med(cell("create", c), (r) => r.rps)).filter(
        Number.isFinite,
      ),
    );
    targets.push([
      "key creation ≥ 2000 EC-P256 keys/s (SQLite; issue 12)",
      `${fmtRate(at("create"))} keys/s at ${TARGET} connections (best over the sweep ${
        fmtRate(best)
      }); the stack's floor (Hono + Web Crypto keygen, PKCS#8 and SPKI export, AES-GCM; ` +
      `no MAC, storage or audit) ${fmtRate(at("floor-create"))} keys/s`,
      verdict(at("create") >= 2000),
    ]);
  }
  if (compare !== undefined) {
    lines.push("");
    lines.push(
      `Cost comparisons at ${TARGET} connections (bench/_variant_server.ts: the same ` +
        `buildServices + buildApp, one switch each; medians of ${COMPARE_RUNS} interleaved runs; ` +
        `costs are medians of the ratios within a run, as the machine drifts between runs):`,
    );
    lines.push("");
    const vrows: string[][] = [];
    for (const v of VARIANTS) {
      const byScenario = compare.get(v.id);
      vrows.push([
        v.label,
        ...COMPARE_SCENARIOS.map((id) => fmtRate(med(byScenario?.get(id) ?? [], (r) => r.rps))),
        ...COMPARE_SCENARIOS.map((id) => fmtLatency(med(byScenario?.get(id) ?? [], (r) => r.p99))),
      ]);
    }
    const names = COMPARE_SCENARIOS.map((id) => SCENARIOS.find((s) => s.id === id)?.label ?? id);
    lines.push(markdownTable(
      ["variant", ...names.map((n) => `${n} req/s`), ...names.map((n) => `${n} p99`)],
      vrows,
      new Set(Array.from({ length: names.length * 2 }, (_, i) => i + 1)),
    ));
    /** 1 − median over runs of (durable ÷ other) in the same run, with the range. */
    const cost = (other: string, id: string) => {
      const a = compare.get("durable")?.get(id) ?? [];
      const b = compare.get(other)?.get(id) ?? [];
      const ratios = a.map((r, i) => r.rps / (b[i]?.rps ?? NaN)).filter(Number.isFinite);
      const costs = ratios.map((x) => 1 - x);
      return { median: median(costs), min: Math.min(...costs), max: Math.max(...costs) };
    };
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    const straddles = (c: { min: number; max: number }, limit: number) =>
      c.min <= limit && limit <= c.max ? " (runs straddle the limit: within noise)" : "";
    const costText = (c: ReturnType<typeof cost>) =>
      `${pct(c.median)} (paired runs ${pct(c.min)} … ${pct(c.max)})`;
    for (const id of COMPARE_SCENARIOS) {
      const c = cost("memory", id);
      targets.push([
        `durable audit costs ≤ 20 % of throughput vs audit to memory (${id})`,
        costText(c),
        verdict(c.median <= 0.2) + straddles(c, 0.2),
      ]);
    }
    for (const id of COMPARE_SCENARIOS) {
      const c = cost("stub", id);
      const rps = med(compare.get("durable")?.get(id) ?? [], (r) => r.rps);
      targets.push([
        `authentication costs ≤ 10 % of throughput (${id}; cached JWT vs Map-lookup stub)`,
        `${costText(c)}; in process a cached verify takes ${
          (1e6 / refMed("jwtCached")).toFixed(1)
        } µs = ${(rps / refMed("jwtCached") * 100).toFixed(1)} % of one core at ${
          fmtRate(rps)
        } req/s`,
        verdict(c.median <= 0.1) + straddles(c, 0.1),
      ]);
    }
  }
  lines.push("");
  lines.push(`Targets (${TARGET} connections, this run):`);
  lines.push("");
  lines.push(markdownTable(["target", "measured", "status"], targets));
  return lines.join("\n");
}
