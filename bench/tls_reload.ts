/**
 * What certificate hot reload costs, and why FerroHSM swaps certificates through
 * node:https (docs/operations.md, "Certificates"):
 *
 * 1. Throughput of the real server's TLS listener (through the launcher), `wrk` on
 *    `/readyz`: Deno.serve (`--tls-cert` alone) against node:https (`--tls-reload-interval`).
 * 2. Swap continuity: fresh-connection HTTPS requests from 4 loops while the certificate
 *    is swapped every 100 ms, counting failed requests, for node:https `setSecureContext`
 *    (what the server does) and for the alternative, a new Deno.serve on the same port
 *    with `reusePort` then a graceful shutdown of the old one.
 *
 *   deno run --allow-all --unstable-net bench/tls_reload.ts [--seconds 5] [--swaps 40]
 *
 * Needs `wrk` and `openssl` (Debian: `apt-get install wrk openssl`).
 */

import { createServer } from "node:https";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { makeInstallation } from "../testing/installation.ts";
import { makePki } from "../testing/pki.ts";
import { startServerProcess } from "../testing/server_process.ts";
import { LUA_DIR, runWrk } from "./_wrk.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { seconds: { type: "string", default: "5" }, swaps: { type: "string", default: "40" } },
});
const seconds = Number(values.seconds);
const swaps = Number(values.swaps);

const inst = await makeInstallation("ferrohsm-bench-tls-");
const pki = await makePki(inst.dir);
const cert = await Deno.readTextFile(pki.server.cert);
const key = await Deno.readTextFile(pki.server.key);
const ca = await Deno.readTextFile(pki.ca);

async function throughput(extra: string[]): Promise<number> {
  const server = await startServerProcess(
    inst.flags(["--tls-cert", pki.server.cert, "--tls-key", pki.server.key, ...extra]),
  );
  try {
    const result = await runWrk({
      url: server.url,
      script: join(LUA_DIR, "request.lua"),
      scriptArgs: ["GET", "/readyz", "-", "-"],
      connections: 32,
      seconds,
    });
    return result.rps;
  } finally {
    await server.stop();
  }
}

/** Fresh-connection requests from 4 loops while `swap()` runs `swaps` times. */
async function continuity(
  port: () => number,
  swap: () => Promise<void>,
): Promise<{ ok: number; failed: number; swapMs: number }> {
  let ok = 0;
  let failed = 0;
  let running = true;
  const loop = async () => {
    while (running) {
      const client = Deno.createHttpClient({ caCerts: [ca], poolMaxIdlePerHost: 0 });
      try {
        await (await fetch(`https://127.0.0.1:${port()}/`, { client })).text();
        ok++;
      } catch {
        failed++;
      } finally {
        client.close();
      }
    }
  };
  const loops = [loop(), loop(), loop(), loop()];
  let total = 0;
  for (let i = 0; i < swaps; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await swap();
    total += performance.now() - t0;
  }
  running = false;
  await Promise.all(loops);
  return { ok, failed, swapMs: total / swaps };
}

async function nodeHttpsSwap() {
  const server = createServer({ cert, key }, (_req, res) => res.end("ok"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    return await continuity(() => port, () => {
      server.setSecureContext({ cert, key });
      return Promise.resolve();
    });
  } finally {
    server.close();
  }
}

async function reusePortSwap() {
  let port = 0;
  const start = () =>
    Deno.serve({
      hostname: "127.0.0.1",
      port,
      reusePort: true,
      cert,
      key,
      onListen: (a) => port = a.port,
    }, () => new Response("ok"));
  let server = start();
  try {
    return await continuity(() => port, async () => {
      const old = server;
      server = start();
      await old.shutdown();
    });
  } finally {
    await server.shutdown();
  }
}

try {
  const denoServe = await throughput([]);
  const nodeHttps = await throughput(["--tls-reload-interval", "60"]);
  const swapNode = await nodeHttpsSwap();
  const swapReuse = await reusePortSwap().catch((err) => ({ error: String(err) }));
  const row = (
    name: string,
    r: { ok: number; failed: number; swapMs: number } | { error: string },
  ) =>
    "error" in r
      ? `| ${name} | ${r.error} | | |`
      : `| ${name} | ${r.ok} | ${r.failed} | ${r.swapMs.toFixed(1)} |`;
  const lines = [
    `TLS /readyz, wrk 32 connections, ${seconds} s:`,
    `| listener | req/s |`,
    `| --- | ---: |`,
    `| Deno.serve (no hot reload) | ${Math.round(denoServe)} |`,
    `| node:https (hot reload) | ${Math.round(nodeHttps)} |`,
    ``,
    `${swaps} certificate swaps, 100 ms apart, fresh-connection requests from 4 loops:`,
    `| swap | requests ok | failed | ms per swap |`,
    `| --- | ---: | ---: | ---: |`,
    row("node:https setSecureContext", swapNode),
    row("Deno.serve reusePort + shutdown", swapReuse),
  ];
  Deno.stdout.writeSync(new TextEncoder().encode(lines.join("\n") + "\n"));
} finally {
  await inst.cleanup();
}
