/**
 * EC-P256 / P-384 (and RSA-2048) signing in the offload pool (issue 12), in process, no
 * HTTP. For each algorithm:
 *
 * - raw Web Crypto sign on one thread, one call at a time (the single-thread
 *   reference);
 * - the provider's key on the main thread with `--in-flight` calls in flight (what the
 *   server did before: Deno's Web Crypto ECDSA/RSA sign computes on the calling thread);
 * - the production path, `offloadKey` over a pool of `--workers` workers, `--in-flight`
 *   calls in flight: each worker holds its own unsealed copy, only the message and the
 *   signature cross threads.
 *
 * Each row also gives the cores the process used (`process.cpuUsage` ÷ wall time) and how
 * long each call blocked the main thread before returning its promise (the event-loop time
 * the server loses per signature). Target: pool ≥ 1.6 × the single-thread rate with 2 workers and 32 in flight (P-256).
 *
 *   deno run --allow-read --allow-env --allow-run --allow-sys bench/signing_pool.ts [--seconds 3]
 *     [--workers 2] [--in-flight 32] [--only EC-P256,EC-P384,RSA-2048]
 *
 * Prints a Markdown table on stdout (progress on stderr).
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { fmtRate, machineInfo, machineLine, markdownTable, progress } from "./_report.ts";
import type { Algorithm } from "../src/domain/algorithms.ts";
import { offloadKey } from "../src/core/offload/offloaded_key.ts";
import { createOffloadPool } from "../src/core/offload/pool.ts";
import type { LoadedKey } from "../src/core/provider.ts";
import { providerFor } from "../src/core/providers/index.ts";
import { printLine } from "../src/util/logger.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "3" },
    workers: { type: "string", default: "2" },
    "in-flight": { type: "string", default: "32" },
    only: { type: "string", default: "EC-P256,EC-P384,RSA-2048" },
  },
});
const SECONDS = Number(values.seconds);
const WORKERS = Number(values.workers);
const IN_FLIGHT = Number(values["in-flight"]);
const ALGORITHMS = values.only.split(",") as Algorithm[];
const TARGET = 1.6;
const message = crypto.getRandomValues(new Uint8Array(1024));

/** The Web Crypto parameters of the raw reference. */
const RAW: Record<
  string,
  { gen: EcKeyGenParams | RsaHashedKeyGenParams; sign: AlgorithmIdentifier | EcdsaParams }
> = {
  "EC-P256": {
    gen: { name: "ECDSA", namedCurve: "P-256" },
    sign: { name: "ECDSA", hash: "SHA-256" },
  },
  "EC-P384": {
    gen: { name: "ECDSA", namedCurve: "P-384" },
    sign: { name: "ECDSA", hash: "SHA-384" },
  },
  "RSA-2048": {
    gen: {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    sign: "RSASSA-PKCS1-v1_5",
  },
};

/** Runs `op` from `concurrency` loops for SECONDS after a short warm-up; ops/s and CPU cores. */
async function measure(
  op: () => Promise<unknown>,
  concurrency: number,
): Promise<{ rate: number; cores: number; blockedUs: number }> {
  const warmEnd = performance.now() + 300;
  while (performance.now() < warmEnd) await op();
  let count = 0;
  let blocked = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const pending = op();
        blocked += performance.now() - t;
        await pending;
        count++;
      }
    }),
  );
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return {
    rate: count / (wall / 1000),
    cores: (cpu.user + cpu.system) / 1000 / wall,
    blockedUs: (blocked * 1000) / count,
  };
}

const machine = await machineInfo();
const rows: string[][] = [];
const verdicts: string[] = [];
const pool = createOffloadPool({ size: WORKERS });
try {
  for (const algorithm of ALGORITHMS) {
    const raw = RAW[algorithm];
    if (raw === undefined) throw new TypeError(`unsupported algorithm ${algorithm}`);
    const pair = (await crypto.subtle.generateKey(raw.gen, false, ["sign"])) as CryptoKeyPair;
    progress(`${algorithm}: raw Web Crypto, one thread, one at a time`);
    const single = await measure(() => crypto.subtle.sign(raw.sign, pair.privateKey, message), 1);
    const provider = providerFor(algorithm);
    const local: LoadedKey = await provider.load(algorithm, await provider.generate(algorithm));
    progress(`${algorithm}: provider key on the main thread, ${IN_FLIGHT} in flight`);
    const main = await measure(
      () => (local.sign as NonNullable<LoadedKey["sign"]>)(message),
      IN_FLIGHT,
    );
    local.dispose();
    const offloaded = await offloadKey(pool, algorithm, await provider.generate(algorithm));
    progress(`${algorithm}: offloadKey, pool of ${WORKERS}, ${IN_FLIGHT} in flight`);
    const pooled = await measure(
      () => (offloaded.sign as NonNullable<LoadedKey["sign"]>)(message),
      IN_FLIGHT,
    );
    offloaded.dispose();
    const row = (label: string, r: { rate: number; cores: number; blockedUs: number }) => [
      algorithm,
      label,
      fmtRate(r.rate),
      (r.rate / single.rate).toFixed(2),
      r.cores.toFixed(2),
      r.blockedUs.toFixed(0),
    ];
    rows.push(row("raw Web Crypto, 1 thread, 1 in flight", single));
    rows.push(row(`provider key on the main thread, ${IN_FLIGHT} in flight`, main));
    rows.push(row(`offload pool of ${WORKERS} (offloadKey), ${IN_FLIGHT} in flight`, pooled));
    if (algorithm === "EC-P256") {
      const ratio = pooled.rate / single.rate;
      verdicts.push(
        `EC-P256 pool of ${WORKERS} ÷ single thread = ${ratio.toFixed(2)} (target ≥ ${TARGET}): ${
          ratio >= TARGET ? "met" : "missed"
        }`,
      );
    }
  }
} finally {
  await pool.close();
}

printLine(`Machine: ${machineLine(machine)}.`);
printLine("");
printLine(
  `Command: \`deno run --allow-read --allow-env --allow-run --allow-sys bench/signing_pool.ts${
    Deno.args.length ? " " + Deno.args.join(" ") : ""
  }\` (${SECONDS} s per row, 1 KiB messages; cores = process CPU time ÷ wall time; caller blocked = time the main thread spends inside the call before it returns its promise)`,
);
printLine("");
printLine(markdownTable(
  ["algorithm", "signing", "signs/s", "÷ single thread", "cores", "caller blocked µs/sign"],
  rows,
  new Set([2, 3, 4, 5]),
));
printLine("");
for (const v of verdicts) printLine(v);
