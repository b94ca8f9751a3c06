/**
 * Does the cost of a key operation grow with the number of stored keys? Loads 1 k,
 * 10 k and 100 k keys (half AES-256-GCM, half EC-P256) into one SQLite key store
 * (bench/_populate.ts: real SqliteKeyStore, real Sealer), and at each size builds the
 * real services over it (`buildServices`, SQLite key store) and measures, one call at
 * a time, the latency of: reading a key, encrypting and signing with a key touched for
 * the first time ("cold": SQLite reads, record MAC check, unseal, import) and with one
 * of 100 keys already in the caches ("hot"); and listing the first and the last page.
 *
 *   deno task bench:scale [--sizes 1000,10000,100000] [--samples 1000]
 *     [--audit memory|durable] [--write-docs]
 *
 * Audit goes to memory by default (`ServiceOverrides`), so fsync latency does not
 * drown the key-store effect; `--audit durable` uses the SQLite audit store.
 */

import { makeInstallation } from "../testing/installation.ts";
import { ROOT } from "../testing/server_process.ts";
import { parseArgs } from "node:util";
import { join } from "node:path";
import { parseServeConfig } from "../src/config/config.ts";
import { loadServerConfig } from "../src/config/config_files.ts";
import type { Actor } from "../src/access/guard.ts";
import { buildServices } from "../src/server/services.ts";
import { MemoryAuditStore } from "../src/storage/memory/audit_store.ts";
import { printLine } from "../src/util/logger.ts";
import {
  fmtLatency,
  machineInfo,
  machineLine,
  markdownTable,
  median,
  progress,
  writeDocsSection,
} from "./_harness.ts";
import { populateKeys, sealerFor } from "./_populate.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sizes: { type: "string", default: "1000,10000,100000" },
    samples: { type: "string", default: "1000" },
    audit: { type: "string", default: "memory" },
    "write-docs": { type: "boolean", default: false },
  },
});
const SIZES = values.sizes.split(",").map(Number).sort((a, b) => a - b);
const SAMPLES = Number(values.samples);
const HOT = 100;
if (SIZES.some((n) => !(n >= 400)) || !["memory", "durable"].includes(values.audit)) {
  throw new TypeError("expected --sizes of at least 400 keys and --audit memory|durable");
}

/** Latencies in microseconds of `op` called once per item, one at a time. */
async function latencies<T>(items: readonly T[], op: (item: T) => Promise<unknown>) {
  const out: number[] = [];
  for (const item of items) {
    const t = performance.now();
    await op(item);
    out.push((performance.now() - t) * 1000);
  }
  return out;
}

function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

const machine = await machineInfo();
const inst = await makeInstallation("ferrohsm-scale-");
const sqlitePath = join(inst.dir, "keys.db");
const sealer = await sealerFor(inst.masterKeyFile, inst.hmacKeyFile);
const actor: Actor = { id: "bench", roles: ["Administrator"] };
const kib = crypto.getRandomValues(new Uint8Array(1024));
/** op → size → latencies (µs). */
const results = new Map<string, Map<number, number[]>>();
const record = (op: string, size: number, values: number[]) => {
  if (!results.has(op)) results.set(op, new Map());
  results.get(op)?.set(size, values);
};
const loadSeconds = new Map<number, number>();
const dbBytes = new Map<number, number>();
const aesIds: string[] = [];
const ecIds: string[] = [];
let stored = 0;
try {
  for (const size of SIZES) {
    progress(`loading keys ${stored}..${size}`);
    const t = performance.now();
    const ids = await populateKeys(
      sqlitePath,
      sealer,
      { from: stored, to: size },
      ["AES-256-GCM", "EC-P256"],
      (n) => progress(`  ${n} keys`),
    );
    loadSeconds.set(size, (performance.now() - t) / 1000);
    aesIds.push(...(ids.get("AES-256-GCM") ?? []));
    ecIds.push(...(ids.get("EC-P256") ?? []));
    stored = size;
    dbBytes.set(size, (await Deno.stat(sqlitePath)).size);

    const config = await loadServerConfig(parseServeConfig([
      "--data-dir",
      join(inst.dir, values.audit === "memory" ? `data-${size}` : "data"),
      "--sqlite-path",
      sqlitePath,
      "--master-key-file",
      inst.masterKeyFile,
      "--hmac-key-file",
      inst.hmacKeyFile,
      "--jwt-keyset",
      inst.keysetFile,
      "--key-store",
      "sqlite",
      "--approval-store",
      "memory",
    ], () => undefined));
    const services = await buildServices(
      config,
      { log() {} },
      values.audit === "memory" ? { auditStore: new MemoryAuditStore() } : {},
    );
    try {
      // Distinct keys per measurement, spread over the whole store, never touched before.
      const n = Math.min(SAMPLES, Math.floor(aesIds.length / 3));
      const pick = (list: readonly string[], part: number) =>
        Array.from(
          { length: n },
          (_, i) => list[Math.floor(((i * 3 + part) / (3 * n)) * list.length)] as string,
        );
      const shuffle = <T>(a: T[]) => a.sort(() => Math.random() - 0.5);
      const getCold = shuffle(pick(aesIds, 0));
      const encCold = shuffle(pick(aesIds, 1));
      const signCold = shuffle(pick(ecIds, 2));
      const hotAes = aesIds.slice(0, HOT);
      const hotEc = ecIds.slice(0, HOT);
      for (const id of [...hotAes, ...hotEc]) await services.keys.get(actor, id); // warm-up
      for (const id of hotAes) await services.crypto.encrypt(actor, id, kib);
      for (const id of hotEc) {
        await services.crypto.sign(actor, id, { data: kib, prehashed: false });
      }
      const hot = (list: readonly string[]) =>
        Array.from({ length: n }, (_, i) => list[i % HOT] as string);

      progress(`measuring at ${size} keys (${n} samples per row)`);
      record("get key, cold", size, await latencies(getCold, (id) => services.keys.get(actor, id)));
      record(
        "get key, hot",
        size,
        await latencies(hot(hotAes), (id) => services.keys.get(actor, id)),
      );
      record(
        "encrypt AES-GCM 1 KiB, cold",
        size,
        await latencies(encCold, (id) => services.crypto.encrypt(actor, id, kib)),
      );
      record(
        "encrypt AES-GCM 1 KiB, hot",
        size,
        await latencies(hot(hotAes), (id) => services.crypto.encrypt(actor, id, kib)),
      );
      const sign = (id: string) => services.crypto.sign(actor, id, { data: kib, prehashed: false });
      record("sign EC-P256 1 KiB, cold", size, await latencies(signCold, sign));
      record("sign EC-P256 1 KiB, hot", size, await latencies(hot(hotEc), sign));
      const listRounds = Array.from({ length: Math.min(200, n) }, (_, i) => i);
      const list = (offset: number) => () => {
        services.listCache.invalidate();
        return services.keys.list(actor, { offset, limit: 20 });
      };
      record("list first page (20), uncached", size, await latencies(listRounds, list(0)));
      record("list last page (20), uncached", size, await latencies(listRounds, list(size - 20)));
      // Steady state (issue 12): no key write since the total was counted, but every page
      // is a page-cache miss (a new actor each call, as under many distinct clients).
      let caller = 0;
      const listAs = (offset: number) => () =>
        services.keys.list({ ...actor, id: `bench-${caller++}` }, { offset, limit: 20 });
      record(
        "list first page (20), page uncached, total known",
        size,
        await latencies(listRounds, listAs(0)),
      );
      record(
        "list middle page (20), page uncached, total known",
        size,
        await latencies(listRounds, listAs(Math.floor(size / 2 / 20) * 20)),
      );
      record(
        "list last page (20), page uncached, total known",
        size,
        await latencies(listRounds, listAs(size - 20)),
      );
      // Walking every page in order: each one a keyset seek from the previous page's end.
      const walkRounds = Array.from({ length: Math.min(200, size / 20) }, (_, i) => i);
      services.listCache.invalidate();
      record(
        "walk pages in order (20), page n",
        size,
        await latencies(
          walkRounds,
          (i) => services.keys.list(actor, { offset: i * 20, limit: 20 }),
        ),
      );
    } finally {
      await services.close();
    }
  }
} finally {
  await inst.cleanup();
}

const sizeLabel = (n: number) => (n >= 1000 ? `${n / 1000} k` : String(n));
const rows = [...results.entries()].map(([op, bySize]) => [
  op,
  ...SIZES.map((size) => {
    const v = bySize.get(size) ?? [];
    return `${fmtLatency(median(v))} / ${fmtLatency(percentile(v, 99))}`;
  }),
]);
const lines = [
  `Machine: ${machineLine(machine)}.`,
  "",
  `Command: \`npx -y deno@2.9.6 task bench:scale${
    Deno.args.length ? " " + Deno.args.join(" ") : ""
  }\``,
  "",
  `In process, one call at a time, real services over one SQLite key store (half AES-256-GCM, ` +
  `half EC-P256 keys), audit ${values.audit === "memory" ? "to memory" : "durable (SQLite)"}; ` +
  `p50 / p99 over ${SAMPLES} calls per row (fewer at small sizes: cold rows never reuse a key). ` +
  `Caches: verified records 10 000, unsealed keys 4 096 (--key-cache-size).`,
  "",
  markdownTable(
    ["operation (p50 / p99)", ...SIZES.map((n) => `${sizeLabel(n)} keys`)],
    rows,
    new Set(SIZES.map((_, i) => i + 1)),
  ),
  "",
  `Load: ${
    SIZES.map((n) =>
      `${sizeLabel(n)} keys (database ${(dbBytes.get(n) ?? 0) / 2 ** 20 | 0} MiB, ` +
      `${(loadSeconds.get(n) ?? 0).toFixed(0)} s to add)`
    ).join("; ")
  }.`,
];
const report = lines.join("\n");
printLine(report);
if (values["write-docs"]) {
  await writeDocsSection(
    join(ROOT, "docs/performance.md"),
    "bench:scale",
    "## HTTP benchmark: cost against the number of stored keys",
    report,
  );
  progress("docs/performance.md updated (section bench:scale)");
}
