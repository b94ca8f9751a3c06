/**
 * What the usage counters (and the retired-version check) cost on the hot path, measured
 * as an interleaved A/B in one process so machine load hits both sides alike: audited
 * AES-256-GCM encrypts of 1 KiB through the service layer (memory key and audit stores,
 * so no fsync noise), in rounds alternating counting on and off (`record` replaced by a
 * no-op on the shared counters), plus the raw cost of one `record` call.
 *
 *   deno run --allow-read --allow-write --allow-env --allow-ffi --allow-sys \
 *     bench/usage_overhead.ts [--rounds 20] [--ops 500]
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import type { Actor } from "../src/access/guard.ts";
import { generateDevKeyset } from "../src/auth/token_mint.ts";
import { parseServeConfig } from "../src/config/config.ts";
import { loadServerConfig } from "../src/config/config_files.ts";
import { toHex } from "../src/core/encoding.ts";
import { UsageCounters } from "../src/keys/usage_counters.ts";
import { buildServices } from "../src/server/services.ts";
import { MemoryAuditStore } from "../src/storage/memory/audit_store.ts";
import { MemoryUsageStore } from "../src/storage/memory/usage_store.ts";
import { printLine } from "../src/util/logger.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { rounds: { type: "string" }, ops: { type: "string" } },
});
const ROUNDS = Number(values.rounds ?? 20);
const OPS = Number(values.ops ?? 500);
const CONCURRENCY = 16;

const dir = await Deno.makeTempDir({ prefix: "ferrohsm-bench-usage-" });
await Deno.writeTextFile(join(dir, "m"), toHex(crypto.getRandomValues(new Uint8Array(32))));
await Deno.writeTextFile(join(dir, "h"), toHex(crypto.getRandomValues(new Uint8Array(32))));
await Deno.writeTextFile(join(dir, "k"), JSON.stringify(generateDevKeyset().jwks));
const config = await loadServerConfig(parseServeConfig([
  "--jwt-keyset",
  join(dir, "k"),
  "--key-store",
  "memory",
  "--data-dir",
  join(dir, "data"),
  "--master-key-file",
  join(dir, "m"),
  "--hmac-key-file",
  join(dir, "h"),
], () => undefined));
const services = await buildServices(config, { log() {} }, { auditStore: new MemoryAuditStore() });
const actor: Actor = { id: "bench", roles: ["Administrator"] };
const kib = crypto.getRandomValues(new Uint8Array(1024));
const key = (await services.keys.create(actor, { name: "aes", algorithm: "AES-256-GCM" })).key;
const counting = services.usage.record;
// Both sides install an own-property function, so only what it does differs.
const on = (id: string, v: number, n?: number) => counting.call(services.usage, id, v, n);
const off = (_id: string, _v: number, _n?: number) => {};

async function batch(): Promise<number> {
  let left = OPS;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (left-- > 0) await services.crypto.encrypt(actor, key.id, kib);
  }));
  return performance.now() - t0;
}

const time = { on: 0, off: 0 };
try {
  await batch(); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2 === 0 ? ["on", "off"] as const : ["off", "on"] as const) {
      services.usage.record = side === "on" ? on : off;
      time[side] += await batch();
    }
  }
} finally {
  services.usage.record = counting;
  await services.close();
  await Deno.remove(dir, { recursive: true });
}

const counters = new UsageCounters(new MemoryUsageStore());
const N = 1_000_000;
const ids = Array.from({ length: 1000 }, () => crypto.randomUUID());
const t0 = performance.now();
for (let i = 0; i < N; i++) counters.record(ids[i % 1000] as string, 1 + (i % 3));
const recordNs = (performance.now() - t0) * 1e6 / N;

const total = ROUNDS * OPS;
const rateOn = total / (time.on / 1000);
const rateOff = total / (time.off / 1000);
printLine("| variant | encrypt 1 KiB ops/s | µs per op |");
printLine("|---|---:|---:|");
printLine(`| counters off | ${rateOff.toFixed(0)} | ${(1e6 / rateOff).toFixed(1)} |`);
printLine(`| counters on | ${rateOn.toFixed(0)} | ${(1e6 / rateOn).toFixed(1)} |`);
printLine(
  `\ndifference ${((rateOn / rateOff - 1) * 100).toFixed(1)}%; one record() call: ${
    recordNs.toFixed(0)
  } ns (1000 keys × 3 versions); ${ROUNDS} interleaved rounds of ${OPS} ops, concurrency ${CONCURRENCY}`,
);
