/**
 * What the HTTP application layer costs on top of the services, measured in one process
 * without sockets or wrk (so without their noise): the product's `buildServices` +
 * `buildApp` over SQLite stores with durable audit, each scenario driven from
 * `--concurrency` loops two ways, alternately for `--rounds` rounds:
 *
 * - `service`: the service call itself (authorized, policy-checked, audited);
 * - `hono`: the same service call behind a minimal Hono app (one route: parse the JSON
 *   body, decode the base64, call the service, answer JSON) through its `fetch`: what
 *   any Hono app around these services costs at least;
 * - `app`: the same operation as an HTTP request through the product app's `fetch`
 *   (middleware, bearer JWT, rate limits, zod, JSON in and out, metrics).
 *
 * The Request is built per call in both HTTP ways.
 *
 * For each it prints ops/s, the process's CPU per op (all threads) and the main thread's
 * CPU per op (its thread in /proc/<pid>/task, through `sampleThreads`). `app` − `hono` is
 * what the product's HTTP layer costs per request beyond a minimal Hono app (sockets and
 * `Deno.serve` excluded: `bench:http` measures those).
 *
 *   deno task bench:app [--scenario aes,hmac,ec,create] [--seconds 4] [--rounds 3]
 *     [--concurrency 32]
 */

import { parseArgs } from "node:util";
import { Hono } from "hono";
import process from "node:process";
import { makeInstallation } from "../testing/installation.ts";
import { buildApp } from "../src/server/app.ts";
import { buildServices } from "../src/server/services.ts";
import { parseServeConfig } from "../src/config/config.ts";
import { loadServerConfig } from "../src/config/config_files.ts";
import { fromBase64, toBase64 } from "../src/core/encoding.ts";
import type { Actor } from "../src/access/guard.ts";
import type { Role } from "../src/access/rbac.ts";
import { printLine } from "../src/util/logger.ts";
import { fmtRate, markdownTable, median, progress } from "./_report.ts";
import { sampleThreads } from "./_cpu.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    scenario: { type: "string", default: "aes,hmac,ec,create" },
    seconds: { type: "string", default: "4" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "32" },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);
if (![SECONDS, ROUNDS, CONCURRENCY].every((n) => Number.isFinite(n) && n > 0)) {
  throw new TypeError("bad options: see the usage at the top of bench/app_layers.ts");
}

/** The ways each scenario is driven, in measuring order. */
const WAYS = ["service", "hono", "app"] as const;
const WAY_LABELS = {
  service: "service call",
  hono: "minimal Hono app + service",
  app: "product app (app.fetch) + service",
} as const;

/** A scenario's operation, once per way. */
type Ways = Record<(typeof WAYS)[number], () => Promise<unknown>>;

/** One measured way: ops/s, process CPU µs per op, main-thread CPU µs per op. */
interface Sample {
  readonly rate: number;
  readonly cpu: number;
  readonly main: number;
}

/** CPU µs of the main thread so far (the thread named `deno`; workers have their own names). */
async function mainThreadUs(): Promise<number> {
  const main = (await sampleThreads(Deno.pid)).get("deno");
  if (main === undefined) throw new Error("no thread named deno in this process");
  return main;
}

/** Runs `op` from CONCURRENCY loops for SECONDS. */
async function measure(op: () => Promise<unknown>): Promise<Sample> {
  for (let i = 0; i < 50; i++) await op();
  const cpu0 = process.cpuUsage();
  const main0 = await mainThreadUs();
  const start = performance.now();
  const end = start + SECONDS * 1000;
  let count = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < end) {
      await op();
      count++;
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const main = (await mainThreadUs()) - main0;
  return { rate: count / seconds, cpu: (cpu.user + cpu.system) / count, main: main / count };
}

const inst = await makeInstallation("ferrohsm-bench-app-");
const config = await loadServerConfig(parseServeConfig(inst.flags([
  "--key-store",
  "sqlite",
  "--audit-store",
  "sqlite",
  "--rate-limit",
  "1000000",
  "--max-concurrent",
  "1024",
  "--max-queue",
  "4096",
])));
const services = await buildServices(config, { log() {} });
try {
  const app = buildApp(services, config, () => true);
  const roles: Role[] = ["Administrator", "Service"];
  const actor: Actor = { id: "bench", roles };
  const token = await inst.token("bench", roles);
  const env = { clientAddress: "127.0.0.1" };
  const headers = {
    "content-type": "application/json",
    authorization: `Bearer ${token}`,
  };
  const kib = crypto.getRandomValues(new Uint8Array(1024));
  const base64 = toBase64(kib);
  const keyOf = async (algorithm: "AES-256-GCM" | "HMAC-SHA256" | "EC-P256") =>
    (await services.keys.create(actor, { name: `bench-${algorithm}`, algorithm })).key.id;
  /** A minimal Hono app around the services: what any HTTP layer costs at least. */
  const minimal = new Hono();
  const field = async (req: Request, name: string) => {
    const bytes = fromBase64((await req.json() as Record<string, string>)[name] ?? "");
    if (bytes === undefined) throw new TypeError(`${name} is not base64`);
    return bytes;
  };
  minimal.post("/encrypt/:id", async (c) => {
    const out = await services.crypto.encrypt(
      actor,
      c.req.param("id"),
      await field(c.req.raw, "plaintext"),
    );
    return c.json({ ciphertext: out.value, version: out.version });
  });
  minimal.post("/mac/:id", async (c) => {
    const out = await services.crypto.mac(
      actor,
      c.req.param("id"),
      await field(c.req.raw, "message"),
    );
    return c.json({ mac: toBase64(out.value), version: out.version });
  });
  minimal.post("/sign/:id", async (c) => {
    const data = await field(c.req.raw, "message");
    const out = await services.crypto.sign(actor, c.req.param("id"), { data, prehashed: false });
    return c.json({ signature: toBase64(out.value), version: out.version });
  });
  minimal.post("/keys", async (c) => {
    const body = await c.req.json() as { name: string };
    const { key } = await services.keys.create(actor, { name: body.name, algorithm: "EC-P256" });
    return c.json({ id: key.id, name: key.name, state: key.state }, 201);
  });
  const post = async (path: string, body: unknown, target: { fetch: typeof app.fetch } = app) => {
    const text = JSON.stringify(body);
    // Content-Length as a client sends it (a Request built here has none, and a body
    // without one takes the body limit's chunked path).
    const res = await target.fetch(
      new Request(`http://127.0.0.1${path}`, {
        method: "POST",
        headers: { ...headers, "content-length": String(text.length) },
        body: text,
      }),
      env,
    );
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  let created = 0;
  /** A scenario on one key: the service call, and `op` on the minimal and the product app. */
  const keyOp = (
    algorithm: "AES-256-GCM" | "HMAC-SHA256" | "EC-P256",
    op: "encrypt" | "mac" | "sign",
    field: "plaintext" | "message",
    service: (id: string) => Promise<unknown>,
  ) =>
  async (): Promise<Ways> => {
    const id = await keyOf(algorithm);
    return {
      service: () => service(id),
      hono: () => post(`/${op}/${id}`, { [field]: base64 }, minimal),
      app: () => post(`/api/v1/keys/${id}/${op}`, { [field]: base64 }),
    };
  };
  const scenarios: Record<string, () => Promise<Ways>> = {
    aes: keyOp(
      "AES-256-GCM",
      "encrypt",
      "plaintext",
      (id) => services.crypto.encrypt(actor, id, kib),
    ),
    hmac: keyOp("HMAC-SHA256", "mac", "message", (id) => services.crypto.mac(actor, id, kib)),
    ec: keyOp(
      "EC-P256",
      "sign",
      "message",
      (id) => services.crypto.sign(actor, id, { data: kib, prehashed: false }),
    ),
    create: () =>
      Promise.resolve({
        service: () =>
          services.keys.create(actor, { name: `bench-${created++}`, algorithm: "EC-P256" }),
        hono: () => post("/keys", { name: `bench-${created++}` }, minimal),
        app: () => post("/api/v1/keys", { name: `bench-${created++}`, algorithm: "EC-P256" }),
      }),
  };
  const rows: string[][] = [];
  for (const id of (values.scenario as string).split(",")) {
    const make = scenarios[id];
    if (make === undefined) {
      throw new TypeError(`unknown scenario ${id}: expected ${Object.keys(scenarios).join(",")}`);
    }
    const ops = await make();
    const samples: Record<keyof Ways, Sample[]> = { service: [], hono: [], app: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const way of WAYS) {
        const s = await measure(ops[way]);
        samples[way].push(s);
        progress(
          `${id} round ${round} ${way}: ${fmtRate(s.rate)} ops/s, ${
            s.cpu.toFixed(0)
          } µs CPU/op, main thread ${s.main.toFixed(0)} µs/op`,
        );
      }
    }
    const med = (way: keyof Ways, pick: (s: Sample) => number) => median(samples[way].map(pick));
    for (const way of WAYS) {
      rows.push([
        id,
        WAY_LABELS[way],
        fmtRate(med(way, (s) => s.rate)),
        med(way, (s) => s.cpu).toFixed(0),
        med(way, (s) => s.main).toFixed(0),
      ]);
    }
    for (const [from, label] of [["service", "app − service"], ["hono", "app − hono"]] as const) {
      rows.push([
        id,
        label,
        "–",
        (med("app", (s) => s.cpu) - med(from, (s) => s.cpu)).toFixed(0),
        (med("app", (s) => s.main) - med(from, (s) => s.main)).toFixed(0),
      ]);
    }
  }
  printLine(
    `Concurrency ${CONCURRENCY}, ${SECONDS} s per cell, medians of ${ROUNDS} alternating rounds; ` +
      `CPU in µs per operation.\n`,
  );
  printLine(markdownTable(
    ["scenario", "way", "ops/s", "process CPU/op", "main thread CPU/op"],
    rows,
    new Set([2, 3, 4]),
  ));
} finally {
  await services.close();
  await inst.cleanup();
}
