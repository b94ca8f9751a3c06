/**
 * Which thread does Deno's Web Crypto work on? For each primitive the server uses on a
 * hot path, runs it one call at a time and then 32 calls in flight, and reports the
 * rate, the CPU cores the process used (from `process.cpuUsage`) and how long each call
 * blocked its caller before returning the promise: the main-thread cost that limits the
 * server, whatever the thread pool does. bench/http.ts's EC-P256 analysis rests on it.
 *
 *   deno run bench/webcrypto_threads.ts [--seconds 2]
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { fmtRate, markdownTable } from "./_harness.ts";
import { printLine } from "../src/util/logger.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { seconds: { type: "string", default: "2" } },
});
const SECONDS = Number(values.seconds);
const kib = crypto.getRandomValues(new Uint8Array(1024));
const ec = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
  "sign",
]);
const ed = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, [
  "sign",
])) as CryptoKeyPair;
const aes = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
  "encrypt",
]);
const hmac = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-384" }, false, ["sign"]);

const ops: [string, () => Promise<unknown>][] = [
  [
    "ECDSA P-256 sign 1 KiB",
    () => crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, ec.privateKey, kib),
  ],
  ["Ed25519 sign 1 KiB", () => crypto.subtle.sign({ name: "Ed25519" }, ed.privateKey, kib)],
  [
    "AES-256-GCM encrypt 1 KiB",
    () =>
      crypto.subtle.encrypt(
        { name: "AES-GCM", iv: crypto.getRandomValues(new Uint8Array(12)) },
        aes,
        kib,
      ),
  ],
  ["HMAC-SHA-384 256 B (audit MAC)", () => crypto.subtle.sign("HMAC", hmac, kib.subarray(0, 256))],
];

/** Rate, cores used and µs each call blocks its caller, with `inFlight` calls at once. */
async function measure(op: () => Promise<unknown>, inFlight: number) {
  for (let i = 0; i < 50; i++) await op();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + SECONDS * 1000;
  let count = 0;
  let blockedMs = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const pending = op();
      blockedMs += performance.now() - t;
      await pending;
      count++;
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    rate: count / seconds,
    cores: (cpu.user + cpu.system) / 1e6 / seconds,
    blockedUs: (blockedMs * 1000) / count,
  };
}

const rows: string[][] = [];
for (const [name, op] of ops) {
  for (const inFlight of [1, 32]) {
    const m = await measure(op, inFlight);
    rows.push([
      name,
      String(inFlight),
      fmtRate(m.rate),
      m.cores.toFixed(2),
      m.blockedUs.toFixed(1),
    ]);
  }
}
printLine(markdownTable(
  ["operation", "in flight", "ops/s", "CPU cores used", "µs the call blocks its caller"],
  rows,
  new Set([1, 2, 3, 4]),
));
