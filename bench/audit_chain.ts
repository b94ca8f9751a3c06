/**
 * The audit chain's per-entry cost (issue 12), in process: linking a batch of entries the
 * way the log did before (a SHA-256 entry hash over one encoding, then an HMAC-SHA-384
 * Web Crypto round trip per entry over a second encoding, all MACs of the batch in
 * parallel) against now (`sealEntry`: one encoding, hash and MAC synchronously with
 * `@noble/hashes`). Reports wall µs and process CPU µs per entry (Web Crypto's thread pool
 * included), alternating the two in rounds so machine drift hits both.
 *
 *   deno run --allow-env --allow-sys bench/audit_chain.ts [--batch 32] [--rounds 20] [--entries 20000]
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  type AuditFields,
  deriveAuditMacKey,
  GENESIS_HASH,
  payloadHash,
  sealEntry,
} from "../src/audit/chain.ts";
import { toHex, utf8 } from "../src/core/encoding.ts";
import { markdownTable, median } from "./_report.ts";
import { printLine } from "../src/util/logger.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    batch: { type: "string", default: "32" },
    rounds: { type: "string", default: "20" },
    entries: { type: "string", default: "20000" },
  },
});
const BATCH = Number(values.batch);
const ROUNDS = Number(values.rounds);
const PER_ROUND = Math.max(BATCH, Math.floor(Number(values.entries) / ROUNDS));

const raw = crypto.getRandomValues(new Uint8Array(32));
const macKey = await deriveAuditMacKey(raw);
const webKey = await crypto.subtle.importKey(
  "raw",
  crypto.getRandomValues(new Uint8Array(48)),
  { name: "HMAC", hash: "SHA-384" },
  false,
  ["sign"],
);

function fields(seq: number): AuditFields {
  return {
    seq,
    ts: new Date().toISOString(),
    actor: "service:bench",
    action: "key.encrypt",
    key_id: "0b6f2c1e-8d3a-4f5e-9a7b-1c2d3e4f5a6b",
    result: "ok",
    payload_hash: payloadHash({ seq }),
    request_id: `req-${seq}`,
  };
}

/** The encoding as the log built it before (one array per field, then a concatenation). */
function oldEncoding(domain: string, f: AuditFields, prev: string): Uint8Array<ArrayBuffer> {
  const lp = (t: string) => {
    const b = utf8(t);
    const out = new Uint8Array(4 + b.length);
    new DataView(out.buffer).setUint32(0, b.length);
    out.set(b, 4);
    return out;
  };
  const seq = new Uint8Array(8);
  new DataView(seq.buffer).setBigUint64(0, BigInt(f.seq));
  const parts = [lp(domain), seq, lp(f.ts), lp(f.actor), lp(f.action), new Uint8Array([1])];
  parts.push(lp(f.key_id ?? ""), lp(f.result), lp(f.payload_hash), lp(prev));
  parts.push(new Uint8Array([2]), lp(f.request_id ?? ""));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), at += p.length);
  return out;
}

async function before(batch: AuditFields[]): Promise<void> {
  let hash = GENESIS_HASH;
  const linked = batch.map((f) => {
    const prev = hash;
    hash = toHex(sha256(oldEncoding("ferrohsm audit entry v2", f, prev)));
    return { f, prev };
  });
  await Promise.all(
    linked.map(async (l) =>
      toHex(
        new Uint8Array(
          await crypto.subtle.sign(
            "HMAC",
            webKey,
            oldEncoding("ferrohsm audit mac v1", l.f, l.prev),
          ),
        ),
      )
    ),
  );
}

function now(batch: AuditFields[]): Promise<void> {
  let hash = GENESIS_HASH;
  for (const f of batch) hash = sealEntry(macKey, f, hash).hash;
  return Promise.resolve();
}

async function measure(run: (b: AuditFields[]) => Promise<void>) {
  const batches = Array.from(
    { length: Math.ceil(PER_ROUND / BATCH) },
    (_, i) => Array.from({ length: BATCH }, (_, j) => fields(i * BATCH + j + 1)),
  );
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const b of batches) await run(b);
  const wall = (performance.now() - t0) * 1000;
  const cpu = process.cpuUsage(cpu0);
  const n = batches.length * BATCH;
  return { wall: wall / n, cpu: (cpu.user + cpu.system) / n };
}

await measure(before);
await measure(now);
type Cost = { wall: number; cpu: number };
const results: { before: Cost[]; now: Cost[] } = { before: [], now: [] };
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? (["before", "now"] as const) : (["now", "before"] as const);
  for (const which of order) results[which].push(await measure(which === "before" ? before : now));
}
macKey.close();
printLine(
  `Command: \`deno run --allow-env --allow-sys bench/audit_chain.ts${
    Deno.args.length ? " " + Deno.args.join(" ") : ""
  }\` (batches of ${BATCH}, ${ROUNDS} alternating rounds of ${PER_ROUND} entries; medians)`,
);
printLine("");
printLine(markdownTable(
  ["linking an entry", "wall µs/entry", "process CPU µs/entry"],
  [
    ["before: hash + Web Crypto HMAC round trip (two encodings)", "before"] as const,
    ["now: sealEntry (one encoding, noble, synchronous)", "now"] as const,
  ].map(([label, id]) => [
    label,
    median(results[id].map((x) => x.wall)).toFixed(1),
    median(results[id].map((x) => x.cpu)).toFixed(1),
  ]),
  new Set([1, 2]),
));
