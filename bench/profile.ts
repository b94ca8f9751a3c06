/**
 * Where the server's main thread spends a request: runs one scenario of bench/http.ts
 * against the bench-only entry (bench/_variant_server.ts, the real buildServices +
 * buildApp) started with `--inspect`, records a V8 CPU profile over the inspector
 * protocol while wrk drives it (Deno 2.9.6 has no `--cpu-prof`), saves the
 * `.cpuprofile` (open it in Chrome DevTools) and prints where the time went: by layer
 * (our folders, each npm package, GC, idle) and the top functions by self time.
 *
 *   deno task bench:profile [--scenario aes] [--connections 32] [--seconds 10]
 *     [--audit store|memory] [--auth jwt|stub] [--audit-store sqlite|file]
 *     [--interval 200] [--top 25] [--out FILE.cpuprofile (default: a temp file)]
 *   deno task bench:profile --analyse saved.cpuprofile --requests N   # tables only
 *   deno task bench:profile --allocations [--scenario aes] ...   # bytes allocated per
 *     request by function (V8's sampling heap profiler) instead of CPU time
 *   deno task bench:profile --threads [--scenario aes] ...   # CPU µs per request by
 *     server thread (main, V8 helpers, SQLite writer, Tokio pool...), no profiler running
 *   [--server-v8-flags=--max-semi-space-size=64]   # V8 flags for the profiled server
 *
 * Caveat: the inspector and sampling add overhead of their own; compare shares
 * within one profile rather than absolute rates across runs.
 */

import { makeInstallation } from "../testing/installation.ts";
import { ROOT, startServerProcess } from "../testing/server_process.ts";
import { parseArgs } from "node:util";
import { join, relative } from "node:path";
import {
  fmtRate,
  haveWrk,
  inspector,
  inspectorUrl,
  markdownTable,
  progress,
  runWrk,
  WRK_INSTALL_HINT,
} from "./_harness.ts";
import { prepareScenario, scenario } from "./_scenarios.ts";
import { printLine } from "../src/util/logger.ts";
import { sampleThreads } from "./_cpu.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    scenario: { type: "string", default: "aes" },
    connections: { type: "string", default: "32" },
    seconds: { type: "string", default: "10" },
    audit: { type: "string", default: "store" },
    auth: { type: "string", default: "jwt" },
    "audit-store": { type: "string", default: "sqlite" },
    interval: { type: "string", default: "200" },
    top: { type: "string", default: "25" },
    out: { type: "string" },
    analyse: { type: "string" },
    requests: { type: "string" },
    allocations: { type: "boolean", default: false },
    threads: { type: "boolean", default: false },
    "server-v8-flags": { type: "string" },
  },
});

/** The parts of a V8 CPU profile we read. */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

/** The layer a profile frame belongs to, from its script URL. */
function layer(url: string, name: string): string {
  if (url === "") return name.startsWith("(") ? name : "(native/builtin)";
  const npm =
    /node_modules\/\.deno\/([^/]+?)@[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url) ??
      /registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (npm !== null) return `npm:${npm[2] ?? npm[1]}`;
  if (url.startsWith("ext:")) return `deno:${url.slice(4).split("/")[0]}`;
  if (url.startsWith("node:")) return "deno:node";
  const path = url.startsWith("file://") ? relative(ROOT, new URL(url).pathname) : url;
  const parts = path.split("/");
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path);
}

function frameName(f: CpuProfile["nodes"][number]["callFrame"]): string {
  const file = f.url.startsWith("file://") ? relative(ROOT, new URL(f.url).pathname) : f.url;
  const short = file.replace(/^.*node_modules\/\.deno\/[^/]+\/node_modules\//, "npm:");
  return `${f.functionName || "(anonymous)"} ${short}${short ? `:${f.lineNumber + 1}` : ""}`;
}

/** Self and inclusive time (ms) per layer and per function. */
function analyse(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const selfByLayer = new Map<string, number>();
  const selfByFn = new Map<string, number>();
  const inclusiveByFn = new Map<string, number>();
  for (const [id, ms] of self) {
    const n = byId.get(id);
    if (n === undefined) continue;
    // A native frame (no script URL) is charged to its nearest caller outside Deno's
    // own ext: scripts, so Web Crypto or libSQL time lands where it was called from.
    let owner = n;
    if (n.callFrame.url === "" && !n.callFrame.functionName.startsWith("(")) {
      for (let up = byId.get(parent.get(n.id) ?? -1); up !== undefined;) {
        if (up.callFrame.functionName === "(root)") break;
        owner = up;
        const url = up.callFrame.url;
        if (url !== "" && !url.startsWith("ext:")) break;
        up = byId.get(parent.get(up.id) ?? -1);
      }
    }
    const l = layer(owner.callFrame.url, owner.callFrame.functionName);
    selfByLayer.set(l, (selfByLayer.get(l) ?? 0) + ms);
    const f = frameName(n.callFrame);
    selfByFn.set(f, (selfByFn.get(f) ?? 0) + ms);
    // Inclusive: every distinct function on the stack gets the sample once.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at);
      if (frame === undefined) break;
      const name = frameName(frame.callFrame);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusiveByFn.set(name, (inclusiveByFn.get(name) ?? 0) + ms);
    }
  }
  return { total, selfByLayer, selfByFn, inclusiveByFn };
}

function topTable(
  map: Map<string, number>,
  total: number,
  top: number,
  label: string,
  requests: number,
): string {
  const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([k, ms]) => [
      k,
      ms.toFixed(0),
      `${(ms / total * 100).toFixed(1)} %`,
      (ms * 1000 / requests).toFixed(1),
    ]);
  return markdownTable([label, "ms", "share", "µs/request"], rows, new Set([1, 2, 3]));
}

/** The request stage a layer belongs to, for the summary table. */
function stage(layer: string): string {
  if (layer === "(idle)") return "idle (waiting: thread pool, I/O, wrk)";
  if (layer === "(garbage collector)" || layer === "(program)") return "GC and V8 (program)";
  if (/^npm:(libsql|@libsql\/|drizzle-orm)/.test(layer) || layer === "src/storage") {
    return "SQLite: libSQL (synchronous, incl. commit fsync) + drizzle";
  }
  if (layer === "src/audit" || layer === "npm:@noble/hashes") {
    return "audit chain: canonical encoding, HMAC-SHA-384, SHA-256";
  }
  if (layer === "src/core" || layer === "src/keys") {
    return "crypto operation, key lookup, base64 (src/core, src/keys)";
  }
  if (layer === "src/auth") return "authentication (src/auth)";
  if (
    layer.startsWith("deno:") || layer === "npm:hono" || layer === "npm:zod" ||
    layer === "npm:@hono/zod-validator" || ["src/http", "routes", "src/metrics"].includes(layer)
  ) {
    return "HTTP: Deno.serve, Hono, middleware, zod, metrics, JSON";
  }
  return "other";
}

/** Prints the summary and the three tables of a profile. */
function report(profile: CpuProfile, requests: number, headline: string): void {
  const a = analyse(profile);
  const top = Number(values.top);
  const busy = a.total - (a.selfByLayer.get("(idle)") ?? 0);
  printLine(
    `${headline} Main thread busy ${(busy / a.total * 100).toFixed(0)} % of ${
      a.total.toFixed(0)
    } ms sampled = ${(busy * 1000 / requests).toFixed(0)} µs per request.`,
  );
  printLine("");
  const stages = new Map<string, number>();
  for (const [l, ms] of a.selfByLayer) stages.set(stage(l), (stages.get(stage(l)) ?? 0) + ms);
  printLine(topTable(stages, a.total, top, "stage (self time)", requests));
  printLine("");
  printLine(topTable(
    a.selfByLayer,
    a.total,
    top,
    "layer (self time; native frames charged to their caller)",
    requests,
  ));
  printLine("");
  printLine(topTable(a.selfByFn, a.total, top, "function (self time)", requests));
  printLine("");
  const ours = new Map([...a.inclusiveByFn].filter(([k]) => /\s(src|routes)\//.test(k)));
  printLine(topTable(
    ours,
    a.total,
    top,
    "src/ and routes/ function (inclusive time, synchronous stacks only)",
    requests,
  ));
}

/** The parts of a V8 sampling heap profile we read. */
interface HeapNode {
  callFrame: CpuProfile["nodes"][number]["callFrame"];
  selfSize: number;
  children: HeapNode[];
}

/**
 * Prints where the sampled allocations were made: bytes per request by function (self)
 * and by our functions including their callees. Bytes allocated drive the garbage
 * collector's work on the main thread and on V8's helper threads.
 */
/**
 * Prints the CPU each server thread spent between two samples (`sampleThreads`), per
 * request and in cores, after `headline` and the total per request.
 */
function reportThreads(
  before: Map<string, number>,
  after: Map<string, number>,
  requests: number,
  seconds: number,
  headline: string,
): void {
  const rows = [...after].map(([name, us]) => [name, us - (before.get(name) ?? 0)] as const)
    .filter(([, us]) => us > 0).sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((n, [, us]) => n + us, 0);
  printLine(
    `${headline} ${(total / requests).toFixed(0)} µs of CPU per request (threads grouped by ` +
      `name; ${(total / 1e6 / seconds).toFixed(2)} cores).`,
  );
  printLine("");
  printLine(markdownTable(
    ["thread", "cores", "µs/request"],
    rows.map(([name, us]) => [name, (us / 1e6 / seconds).toFixed(2), (us / requests).toFixed(1)]),
    new Set([1, 2]),
  ));
}

function reportAllocations(root: HeapNode, requests: number, headline: string): void {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode, stack: string[]): void => {
    const name = frameName(node.callFrame);
    const here = [...stack, name];
    if (node.selfSize > 0) {
      total += node.selfSize;
      self.set(name, (self.get(name) ?? 0) + node.selfSize);
      for (const f of new Set(here)) inclusive.set(f, (inclusive.get(f) ?? 0) + node.selfSize);
    }
    for (const c of node.children) walk(c, here);
  };
  walk(root, []);
  const table = (map: Map<string, number>, label: string): string =>
    markdownTable(
      [label, "bytes/request", "share"],
      [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))
        .map(([k, bytes]) => [
          k,
          (bytes / requests).toFixed(0),
          `${(bytes / total * 100).toFixed(1)} %`,
        ]),
      new Set([1, 2]),
    );
  printLine(`${headline} Sampled allocations: ${(total / requests).toFixed(0)} bytes per request.`);
  printLine("");
  printLine(table(self, "function (self allocations)"));
  printLine("");
  const ours = new Map([...inclusive].filter(([k]) => /\s(src|routes)\//.test(k)));
  printLine(table(ours, "src/ and routes/ function (inclusive allocations)"));
}

if (values.analyse !== undefined) {
  const profile = JSON.parse(await Deno.readTextFile(values.analyse)) as CpuProfile;
  const requests = Number(values.requests ?? NaN);
  if (!(requests > 0)) throw new TypeError("--analyse needs --requests N (from the profiled run)");
  report(profile, requests, `Profile ${values.analyse} (${requests} requests).`);
  Deno.exit(0);
}

if (!(await haveWrk())) {
  progress(WRK_INSTALL_HINT);
  Deno.exit(2);
}
const s = scenario(values.scenario);
if (s.kind === "bare") {
  progress(
    `${s.id} runs on bench:http's reference server, not on the product: profile another scenario`,
  );
  Deno.exit(2);
}
const connections = Number(values.connections);
const seconds = Number(values.seconds);
const inst = await makeInstallation("ferrohsm-profile-");
const flags = inst.flags([
  "--audit-store",
  values["audit-store"],
  "--rate-limit",
  "1000000",
  "--max-concurrent",
  "1024",
  "--max-queue",
  "4096",
]);
const server = await startServerProcess(flags, {
  entry: join(ROOT, "bench/_variant_server.ts"),
  entryArgs: ["--audit", values.audit, "--auth", values.auth],
  // --threads measures the server as it runs without an inspector attached.
  denoFlags: [
    ...(values.threads ? [] : ["--inspect=127.0.0.1:0"]),
    ...(values["server-v8-flags"] === undefined ? [] : [`--v8-flags=${values["server-v8-flags"]}`]),
  ],
});
try {
  const p = await prepareScenario(s, server.url, inst);
  progress(`warming up ${s.id} for 2 s`);
  await runWrk({
    url: server.url,
    script: p.script,
    scriptArgs: await p.args(),
    connections,
    seconds: 2,
  });
  const drive = async () =>
    runWrk({ url: server.url, script: p.script, scriptArgs: await p.args(), connections, seconds });
  if (values.threads) {
    const before = await sampleThreads(server.serverPid);
    const result = await drive();
    const after = await sampleThreads(server.serverPid);
    reportThreads(
      before,
      after,
      result.requests,
      seconds,
      `Server threads during \`${s.label}\` at ${connections} connections for ${seconds} s: ` +
        `${fmtRate(result.rps)} req/s;`,
    );
  } else {
    const session = await inspector(inspectorUrl(server.stderr()));
    if (values.allocations) {
      await session.send("HeapProfiler.enable");
      // Every 8 KiB allocated on average, with objects the GC already freed kept in.
      await session.send("HeapProfiler.startSampling", {
        samplingInterval: 8192,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
      const result = await drive();
      const { profile } = (await session.send("HeapProfiler.stopSampling")) as {
        profile: { head: HeapNode };
      };
      session.close();
      reportAllocations(
        profile.head,
        result.requests,
        `Allocations of \`${s.label}\` at ${connections} connections for ${seconds} s: ` +
          `${fmtRate(result.rps)} req/s, ${result.requests} requests.`,
      );
    } else {
      await session.send("Profiler.enable");
      await session.send("Profiler.setSamplingInterval", { interval: Number(values.interval) });
      await session.send("Profiler.start");
      const result = await drive();
      const { profile } = (await session.send("Profiler.stop")) as { profile: CpuProfile };
      session.close();
      const out = values.out ?? await Deno.makeTempFile({
        prefix: `ferrohsm-${s.id}-${values.audit}-${values.auth}-`,
        suffix: ".cpuprofile",
      });
      await Deno.writeTextFile(out, JSON.stringify(profile));
      report(
        profile,
        result.requests,
        `Profile of \`${s.label}\` at ${connections} connections for ${seconds} s ` +
          `(audit ${values.audit}, auth ${values.auth}): ${fmtRate(result.rps)} req/s, ` +
          `${result.requests} requests, errors ${result.non2xx + result.socketErrors}. ` +
          `Saved ${out} (--requests ${result.requests} to re-analyse it).`,
      );
    }
  }
} finally {
  await server.stop();
  await inst.cleanup();
}
