/**
 * Single-process throughput of the service layer with durable audit (SQLite key store,
 * SQLite audit with group commit, every operation authorized and audited), next to the
 * raw Web Crypto rate of the same primitive measured in the same run.
 *
 *   deno task bench:throughput [--seconds 3] [--concurrency 32] [--audit-store sqlite|file|memory]
 *     [--key-store sqlite|filesystem|memory]
 *
 * `--audit-store memory` hands `MemoryAuditStore` to `buildServices` (ServiceOverrides):
 * nothing durable, for measuring what durable audit costs.
 *
 * Prints a Markdown table (ops/s, and the ratio to the raw primitive).
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { parseServeConfig } from "../src/config/config.ts";
import { loadServerConfig } from "../src/config/config_files.ts";
import { toHex } from "../src/core/encoding.ts";
import { buildServices } from "../src/server/services.ts";
import { generateDevKeyset } from "../src/auth/token_mint.ts";
import { printLine } from "../src/util/logger.ts";
import type { Actor } from "../src/access/guard.ts";
import { MemoryAuditStore } from "../src/storage/memory/audit_store.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string" },
    concurrency: { type: "string" },
    "audit-store": { type: "string" },
    "key-store": { type: "string" },
  },
});
const SECONDS = Number(values.seconds ?? 3);
const CONCURRENCY = Number(values.concurrency ?? 32);
const AUDIT_STORE = values["audit-store"] ?? "sqlite";

/** Runs `op` from `concurrency` loops for `seconds`; returns ops per second. */
async function rate(op: () => Promise<unknown>, concurrency = CONCURRENCY): Promise<number> {
  for (let i = 0; i < 20; i++) await op(); // warm-up
  let count = 0;
  const end = performance.now() + SECONDS * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await op();
        count++;
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

const dir = await Deno.makeTempDir({ prefix: "ferrohsm-bench-" });
const master = join(dir, "master.key");
const hmac = join(dir, "hmac.key");
await Deno.writeTextFile(master, toHex(crypto.getRandomValues(new Uint8Array(32))));
await Deno.writeTextFile(hmac, toHex(crypto.getRandomValues(new Uint8Array(32))));
const keyset = join(dir, "jwks.json");
await Deno.writeTextFile(keyset, JSON.stringify(generateDevKeyset().jwks));
const config = await loadServerConfig(parseServeConfig([
  "--jwt-keyset",
  keyset,
  "--audit-store",
  AUDIT_STORE === "memory" ? "sqlite" : AUDIT_STORE,
  "--key-store",
  values["key-store"] ?? "sqlite",
  "--data-dir",
  join(dir, "data"),
  "--master-key-file",
  master,
  "--hmac-key-file",
  hmac,
], () => undefined));
const services = await buildServices(
  config,
  { log() {} },
  AUDIT_STORE === "memory" ? { auditStore: new MemoryAuditStore() } : {},
);
const actor: Actor = { id: "bench", roles: ["Administrator"] };
const kib = crypto.getRandomValues(new Uint8Array(1024));

const ec = await services.keys.create(actor, { name: "ec", algorithm: "EC-P256" });
const aes = await services.keys.create(actor, { name: "aes", algorithm: "AES-256-GCM" });

const rawEc = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
  "sign",
]);
const rawAes = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
  "encrypt",
]);

const rows: [string, number, number][] = [];
const rawSign = await rate(
  () => crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, rawEc.privateKey, kib),
  1,
);
const svcSign = await rate(() =>
  services.crypto.sign(actor, ec.key.id, { data: kib, prehashed: false })
);
rows.push(["EC-P256 sign (service, audited)", svcSign, rawSign]);
const rawEnc = await rate(() =>
  crypto.subtle.encrypt(
    { name: "AES-GCM", iv: crypto.getRandomValues(new Uint8Array(12)) },
    rawAes,
    kib,
  ), 1);
const svcEnc = await rate(() => services.crypto.encrypt(actor, aes.key.id, kib));
rows.push(["AES-256-GCM encrypt 1 KiB (service, audited)", svcEnc, rawEnc]);
const auditRate = await rate(() =>
  services.auditLog.append({
    actor: "bench",
    action: "bench",
    keyId: null,
    result: "ok",
    payload: {},
  })
);
const rawHmac = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-384" }, false, ["sign"]);
const rawMac = await rate(() => crypto.subtle.sign("HMAC", rawHmac, kib.subarray(0, 256)), 1);
rows.push([
  AUDIT_STORE === "memory"
    ? "audit append (memory, not durable)"
    : `audit append (${config.auditStore}, fsync per batch)`,
  auditRate,
  rawMac,
]);
let created = 0;
const svcCreate = await rate(() =>
  services.keys.create(actor, { name: `bench-${created++}`, algorithm: "EC-P256" })
);
const rawKeygen = await rate(async () => {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
  ]);
  return await crypto.subtle.exportKey("pkcs8", pair.privateKey);
}, 1);
rows.push([
  `create key EC-P256 (service, audited, ${values["key-store"] ?? "sqlite"} store)`,
  svcCreate,
  rawKeygen,
]);
const stats = services.auditLog.stats();
await services.close();
await Deno.remove(dir, { recursive: true });

printLine(`| operation | ops/s | raw primitive ops/s (1 thread) | ratio |`);
printLine(`|---|---:|---:|---:|`);
for (const [name, ops, raw] of rows) {
  printLine(`| ${name} | ${ops.toFixed(0)} | ${raw.toFixed(0)} | ${(ops / raw).toFixed(2)} |`);
}
printLine(
  `\nconcurrency ${CONCURRENCY}, ${SECONDS}s per row; audit: ${stats.appended} entries in ${stats.batches} batches`,
);
