/**
 * The key operations through the service layer with durable audit (SQLite key and audit
 * stores, every call authorized and audited): import parameters (RSA-3072 generation,
 * and with the spare key ready), imports of AES/EC/RSA material, data keys, rewrap, batch
 * encrypt/decrypt/sign against the single calls (items per second), sign-jwt against a
 * plain sign, JWKS of a key with three versions, and settings changes.
 *
 *   deno task bench:keyops [--seconds 2] [--concurrency 16]
 *
 * Prints a Markdown table. Import parameters are timed one at a time (each generates a
 * key); the other rows run `--concurrency` loops for `--seconds` each.
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import type { Actor } from "../src/access/guard.ts";
import { generateDevKeyset } from "../src/auth/token_mint.ts";
import { parseServeConfig } from "../src/config/config.ts";
import { loadServerConfig } from "../src/config/config_files.ts";
import { toHex } from "../src/core/encoding.ts";
import { generateWrappingKey, wrapKeyForImport } from "../src/core/import_wrapping.ts";
import { buildServices } from "../src/server/services.ts";
import { printLine } from "../src/util/logger.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { seconds: { type: "string" }, concurrency: { type: "string" } },
});
const SECONDS = Number(values.seconds ?? 2);
const CONCURRENCY = Number(values.concurrency ?? 16);

/** Runs `op` from `concurrency` loops for SECONDS; returns calls per second. */
async function rate(op: () => Promise<unknown>, concurrency = CONCURRENCY): Promise<number> {
  for (let i = 0; i < 5; i++) await op();
  let count = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await op();
      count++;
    }
  }));
  return count / ((performance.now() - start) / 1000);
}

/** Milliseconds of one run of `op`, median of `runs`. */
async function median(op: () => Promise<unknown>, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await op();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

const dir = await Deno.makeTempDir({ prefix: "ferrohsm-bench-keyops-" });
const master = join(dir, "master.key");
const hmac = join(dir, "hmac.key");
await Deno.writeTextFile(master, toHex(crypto.getRandomValues(new Uint8Array(32))));
await Deno.writeTextFile(hmac, toHex(crypto.getRandomValues(new Uint8Array(32))));
const keyset = join(dir, "jwks.json");
await Deno.writeTextFile(keyset, JSON.stringify(generateDevKeyset().jwks));
const config = await loadServerConfig(parseServeConfig([
  "--jwt-keyset",
  keyset,
  "--data-dir",
  join(dir, "data"),
  "--master-key-file",
  master,
  "--hmac-key-file",
  hmac,
], () => undefined));
const services = await buildServices(config, { log() {} });
const actor: Actor = { id: "bench", roles: ["Administrator"] };
const rows: [string, string, string][] = [];
const kib = crypto.getRandomValues(new Uint8Array(1024));

try {
  // Import parameters: a fresh RSA-3072 key each (the first call waits for generation,
  // later ones find the spare generated in the background meanwhile).
  const cold = await median(() => generateWrappingKey(), 3);
  rows.push([
    "RSA-3072 wrapping key generation (Web Crypto)",
    `${cold.toFixed(0)} ms`,
    "median of 3",
  ]);
  const first = performance.now();
  await services.imports.importParams(actor, "AES-256-GCM");
  rows.push([
    "import-params, no spare ready",
    `${(performance.now() - first).toFixed(0)} ms`,
    "one call",
  ]);
  await new Promise((r) => setTimeout(r, cold * 3)); // let the spare finish
  const warm = performance.now();
  await services.imports.importParams(actor, "AES-256-GCM");
  rows.push([
    "import-params, spare ready",
    `${(performance.now() - warm).toFixed(1)} ms`,
    "one call",
  ]);

  for (
    const [algorithm, material] of [
      ["AES-256-GCM", crypto.getRandomValues(new Uint8Array(32))],
      ["EC-P256", await pkcs8({ name: "ECDSA", namedCurve: "P-256" })],
      [
        "RSA-2048",
        await pkcs8({
          name: "RSASSA-PKCS1-v1_5",
          modulusLength: 2048,
          publicExponent: Uint8Array.of(1, 0, 1),
          hash: "SHA-256",
        }),
      ],
    ] as const
  ) {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await services.imports.importParams(actor, algorithm);
      const wrapped = await wrapKeyForImport(p.wrappingPublicKey, material);
      const t0 = performance.now();
      await services.imports.importKey(actor, {
        algorithm,
        importToken: p.importToken,
        wrappedKey: wrapped,
        name: `bench ${algorithm}`,
      });
      times.push(performance.now() - t0);
    }
    const ms = times.sort((a, b) => a - b)[1] as number;
    rows.push([
      `import ${algorithm} (unwrap, validate, seal, store)`,
      `${ms.toFixed(0)} ms`,
      "median of 3, parameters excluded",
    ]);
  }

  const aes = (await services.keys.create(actor, { name: "aes", algorithm: "AES-256-GCM" })).key;
  const ec = (await services.keys.create(actor, { name: "ec", algorithm: "EC-P256" })).key;
  const single = await rate(() => services.crypto.encrypt(actor, aes.id, kib));
  rows.push(["encrypt 1 KiB (single call)", `${single.toFixed(0)} ops/s`, "baseline"]);
  const dk = await rate(() =>
    services.envelope.dataKey(actor, aes.id, { bits: 256, plaintext: true })
  );
  rows.push(["datakey 256 bits", `${dk.toFixed(0)} ops/s`, `${(dk / single).toFixed(2)}× encrypt`]);
  const ct = await services.crypto.encrypt(actor, aes.id, kib);
  await services.keys.rotate(actor, aes.id);
  const rw = await rate(() => services.envelope.rewrap(actor, aes.id, { ciphertext: ct.value }));
  rows.push([
    "rewrap 1 KiB (v1 → v2)",
    `${rw.toFixed(0)} ops/s`,
    `${(rw / single).toFixed(2)}× encrypt`,
  ]);

  for (const size of [100, 1000]) {
    const items = Array.from({ length: size }, () => ({ params: { plaintext: kib } }));
    const batches = await rate(() => services.batches.encrypt(actor, aes.id, items), 4);
    rows.push([
      `encrypt/batch of ${size} × 1 KiB`,
      `${(batches * size).toFixed(0)} items/s`,
      `${(batches * size / single).toFixed(1)}× single calls`,
    ]);
  }
  const cts = await services.batches.encrypt(
    actor,
    aes.id,
    Array.from({ length: 1000 }, () => ({ params: { plaintext: kib } })),
  );
  const decItems = cts.map((r) => ({ params: { ciphertext: "value" in r ? r.value : "" } }));
  const dec = await rate(() => services.batches.decrypt(actor, aes.id, decItems), 4);
  rows.push([
    "decrypt/batch of 1000 × 1 KiB",
    `${(dec * 1000).toFixed(0)} items/s`,
    `${(dec * 1000 / single).toFixed(1)}× single encrypts`,
  ]);
  const sign = await rate(() =>
    services.crypto.sign(actor, ec.id, { data: kib, prehashed: false })
  );
  rows.push(["EC-P256 sign (single call)", `${sign.toFixed(0)} ops/s`, "baseline"]);
  const signItems = Array.from(
    { length: 100 },
    () => ({ params: { data: kib, prehashed: false } }),
  );
  const sb = await rate(() => services.batches.sign(actor, ec.id, signItems), 4);
  rows.push([
    "sign/batch of 100 (EC-P256)",
    `${(sb * 100).toFixed(0)} items/s`,
    `${(sb * 100 / sign).toFixed(1)}× single calls`,
  ]);
  const jwt = await rate(() =>
    services.jwt.signJwt(actor, ec.id, { sub: "bench", aud: "x", exp: 4e9 })
  );
  rows.push(["sign-jwt ES256", `${jwt.toFixed(0)} ops/s`, `${(jwt / sign).toFixed(2)}× sign`]);
  await services.keys.rotate(actor, ec.id);
  await services.keys.rotate(actor, ec.id);
  const jwks = await rate(() => services.jwt.jwks(actor, ec.id));
  rows.push(["jwks (3 versions)", `${jwks.toFixed(0)} ops/s`, ""]);
  let n = 0;
  const patch = await rate(
    () => services.settings.update(actor, aes.id, { tags: { n: String(n++) } }),
    4,
  );
  rows.push(["PATCH tags (journaled write)", `${patch.toFixed(0)} ops/s`, ""]);
} finally {
  await services.close();
  await Deno.remove(dir, { recursive: true });
}

printLine("| operation | result | note |");
printLine("|---|---:|---|");
for (const [name, result, note] of rows) printLine(`| ${name} | ${result} | ${note} |`);
printLine(
  `\nSQLite key and audit stores; concurrency ${CONCURRENCY} (batches 4), ${SECONDS}s per rate row`,
);

async function pkcs8(params: EcKeyGenParams | RsaHashedKeyGenParams): Promise<Uint8Array> {
  const pair = await crypto.subtle.generateKey(params, true, ["sign", "verify"]) as CryptoKeyPair;
  return new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
}
