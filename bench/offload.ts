/**
 * What the offload pool buys (issue 9 item 10), in process, no HTTP:
 *
 * 1. Latency of a cheap call (an HMAC-SHA256 `mac` on the main thread, as the audit MAC and
 *    `/readyz` are), started every 5 ms and timed from when it was due (so waiting for a
 *    blocked event loop counts; calls do not wait for each other), while ML-DSA-87
 *    signing arrives at `--rate` per second:
 *    idle, signing on the main thread (the provider's key, as today), and signing in the
 *    pool (`offloadKey`). Target: p50 within 5 ms while signing is offloaded.
 * 2. ML-DSA-87 signing throughput: one thread (the main thread, back to back) against the
 *    pool with 1 worker and with `--workers` workers (2 calls in flight per worker).
 *
 *   deno run --allow-read --allow-env --allow-run --allow-sys bench/offload.ts [--seconds 3] [--rate 40] [--workers N]
 *
 * Prints Markdown tables on stdout (progress on stderr).
 */

import process from "node:process";
import { parseArgs } from "node:util";
import {
  fmtLatency,
  fmtRate,
  machineInfo,
  machineLine,
  markdownTable,
  progress,
} from "./_report.ts";
import type { Algorithm } from "../src/domain/algorithms.ts";
import { offloadKey } from "../src/core/offload/offloaded_key.ts";
import { createOffloadPool, type OffloadPool } from "../src/core/offload/pool.ts";
import type { LoadedKey } from "../src/core/provider.ts";
import { providerFor } from "../src/core/providers/index.ts";
import { printLine } from "../src/util/logger.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "3" },
    rate: { type: "string", default: "40" },
    workers: { type: "string" },
  },
});
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const WORKERS = Math.max(1, Number(values.workers ?? navigator.hardwareConcurrency));
const TARGET_P50_MS = 5;
const SAMPLE_MS = 5;
const message = crypto.getRandomValues(new Uint8Array(256));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function material(algorithm: Algorithm): Promise<Uint8Array> {
  return await providerFor(algorithm).generate(algorithm);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

function call<K extends "sign" | "mac">(
  key: LoadedKey,
  method: K,
): (data: Uint8Array) => Promise<Uint8Array> {
  const fn = key[method];
  if (fn === undefined) throw new TypeError(`Key has no ${method}`);
  return (data) => fn.call(key, data);
}

interface LatencyResult {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly signatures: number;
}

/**
 * Starts the cheap call every SAMPLE_MS for SECONDS while `sign` (if given) is started
 * RATE times per second; each arrival is a macrotask, as an HTTP request would be.
 */
async function latencyUnderLoad(
  mac: (data: Uint8Array) => Promise<Uint8Array>,
  sign: ((data: Uint8Array) => Promise<Uint8Array>) | undefined,
): Promise<LatencyResult> {
  let running = true;
  let signatures = 0;
  const inFlight = new Set<Promise<unknown>>();
  const arrivals = (async () => {
    if (sign === undefined) return;
    const start = performance.now();
    for (let n = 0; running; n++) {
      const due = start + (n * 1000) / RATE;
      await sleep(Math.max(0, due - performance.now()));
      if (!running) break;
      const p = sign(message).then(() => signatures++);
      inFlight.add(p);
      p.finally(() => inFlight.delete(p));
    }
  })();
  // Open loop: each sample is due at a fixed time and counts from then, so time spent
  // waiting for a blocked event loop is part of its latency (as for an HTTP request);
  // samples do not wait for each other.
  const samples: number[] = [];
  const sampling: Promise<unknown>[] = [];
  const start = performance.now();
  for (let n = 0; n * SAMPLE_MS < SECONDS * 1000; n++) {
    const due = start + n * SAMPLE_MS;
    await sleep(Math.max(0, due - performance.now()));
    sampling.push(mac(message).then(() => samples.push(performance.now() - due)));
  }
  await Promise.all(sampling);
  const window = (performance.now() - start) / 1000;
  const signedInWindow = signatures;
  running = false;
  await arrivals;
  await Promise.all(inFlight);
  samples.sort((a, b) => a - b);
  return {
    p50: percentile(samples, 0.5),
    p99: percentile(samples, 0.99),
    max: samples[samples.length - 1] ?? NaN,
    signatures: signedInWindow / window,
  };
}

/**
 * Signatures per second with `concurrency` calls in flight for SECONDS, and the CPU cores
 * the process used meanwhile (all threads; shows whether the pool got the cores it asked for).
 */
async function throughput(
  sign: (data: Uint8Array) => Promise<Uint8Array>,
  concurrency: number,
): Promise<{ rate: number; cores: number }> {
  for (let i = 0; i < 4; i++) await sign(message); // warm-up
  let done = 0;
  const end = performance.now() + SECONDS * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await sign(message);
      done++;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { rate: done / seconds, cores: (cpu.user + cpu.system) / 1e6 / seconds };
}

async function withPool<T>(size: number, fn: (pool: OffloadPool) => Promise<T>): Promise<T> {
  const pool = createOffloadPool({ size });
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}

const hmac = await providerFor("HMAC-SHA256").load("HMAC-SHA256", await material("HMAC-SHA256"));
const mac = call(hmac, "mac");
const direct = await providerFor("ML-DSA-87").load("ML-DSA-87", await material("ML-DSA-87"));
const directSign = call(direct, "sign");
for (let i = 0; i < 20; i++) {
  await directSign(message);
  await mac(message);
}

progress("latency: idle");
const idle = await latencyUnderLoad(mac, undefined);
progress("latency: ML-DSA-87 signing on the main thread");
const onMain = await latencyUnderLoad(mac, directSign);
progress("latency: ML-DSA-87 signing in the pool");
const offloaded = await withPool(WORKERS, async (pool) => {
  const key = await offloadKey(pool, "ML-DSA-87", await material("ML-DSA-87"));
  const sign = call(key, "sign");
  for (let i = 0; i < 8; i++) await sign(message);
  return await latencyUnderLoad(mac, sign);
});

progress("throughput: one thread");
const single = await throughput(directSign, 1);
const poolRates: [number, { rate: number; cores: number }][] = [];
for (const size of [...new Set([1, WORKERS])]) {
  progress(`throughput: pool of ${size}`);
  poolRates.push([
    size,
    await withPool(size, async (pool) => {
      const key = await offloadKey(pool, "ML-DSA-87", await material("ML-DSA-87"));
      return await throughput(call(key, "sign"), 2 * size);
    }),
  ]);
}

const ms = (x: number) => fmtLatency(x * 1000);
printLine(`Machine: ${machineLine(await machineInfo())}`);
printLine("");
printLine(
  `Cheap call (HMAC-SHA256 mac, main thread) while ML-DSA-87 signatures arrive at ${RATE}/s ` +
    `(${SECONDS} s each, pool of ${WORKERS}):`,
);
printLine("");
printLine(markdownTable(
  ["scenario", "p50", "p99", "max", "signatures/s done"],
  [
    ["idle (no signing)", ms(idle.p50), ms(idle.p99), ms(idle.max), "–"],
    [
      "signing on the main thread",
      ms(onMain.p50),
      ms(onMain.p99),
      ms(onMain.max),
      fmtRate(onMain.signatures),
    ],
    [
      "signing in the pool",
      ms(offloaded.p50),
      ms(offloaded.p99),
      ms(offloaded.max),
      fmtRate(offloaded.signatures),
    ],
  ],
  new Set([1, 2, 3, 4]),
));
printLine("");
printLine(
  `p50 with signing offloaded: ${ms(offloaded.p50)} — target ≤ ${TARGET_P50_MS} ms: ` +
    (offloaded.p50 <= TARGET_P50_MS ? "met" : "NOT met"),
);
printLine("");
printLine("ML-DSA-87 signing throughput:");
printLine("");
printLine(markdownTable(
  ["where", "signatures/s", "vs one thread", "CPU cores used"],
  [
    ["one thread (main, back to back)", fmtRate(single.rate), "1.00×", single.cores.toFixed(2)],
    ...poolRates.map(([size, r]) => [
      `pool of ${size} worker${size === 1 ? "" : "s"}`,
      fmtRate(r.rate),
      `${(r.rate / single.rate).toFixed(2)}×`,
      r.cores.toFixed(2),
    ]),
  ],
  new Set([1, 2, 3]),
));
direct.dispose();
hmac.dispose();
