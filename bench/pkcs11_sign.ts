/**
 * PKCS#11 signing throughput: starts the real server (through the launcher, so with its
 * derived permissions) with `--pkcs11-socket`, creates an EC-P256 key through the API,
 * and drives the socket with the project's own RPC client (the codec of src/pkcs11/)
 * the way pkcs11-tool-style sessions do: one connection per client, C_Initialize,
 * C_OpenSession, C_Login with a JWT, C_FindObjects, then C_SignInit + C_Sign in a loop.
 * Every signature is authorized, rate-limited (limit raised for the run) and audited.
 * For reference the same clients sign through the REST API with fetch.
 *
 *   deno run --allow-read --allow-write --allow-env --allow-run --allow-net --allow-sys \
 *     bench/pkcs11_sign.ts [--seconds 5] [--connections 1,8,32]
 *
 * Prints one Markdown table of signatures/s.
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { fmtRate, machineInfo, machineLine, markdownTable, progress } from "./_harness.ts";
import { makeInstallation } from "../testing/installation.ts";
import { startServerProcess } from "../testing/server_process.ts";
import { CKA, CKM, CKO, CKR } from "../src/pkcs11/constants.ts";
import { RpcClient } from "../src/pkcs11/rpc_client.ts";
import { toBase64 } from "../src/core/encoding.ts";
import { printLine } from "../src/util/logger.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "1,8,32" },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = String(values.connections).split(",").map(Number);

const enc = new TextEncoder();

/** A logged-in session with the key's private object found. */
async function session(socket: string, token: string, keyId: string) {
  const client = await RpcClient.connect(socket);
  const ok = <T extends { rv: number }>(reply: T, what: string): T => {
    if (reply.rv !== CKR.OK) throw new Error(`${what} failed: 0x${reply.rv.toString(16)}`);
    return reply;
  };
  ok(await client.initialize(), "C_Initialize");
  const s = ok(await client.call("C_OpenSession", [1, 4]), "C_OpenSession").values[0] as number;
  const pin = enc.encode(token);
  ok(await client.call("C_Login", [s, 1, { bytes: pin, length: pin.length }]), "C_Login");
  const id = enc.encode(keyId);
  ok(
    await client.call("C_FindObjectsInit", [s, [
      { type: CKA.CLASS, value: CKO.PRIVATE_KEY },
      { type: CKA.ID, value: id },
    ]]),
    "C_FindObjectsInit",
  );
  const found = ok(await client.call("C_FindObjects", [s, 1]), "C_FindObjects")
    .values[0] as number[];
  ok(await client.call("C_FindObjectsFinal", [s]), "C_FindObjectsFinal");
  const key = found[0];
  if (key === undefined) throw new Error("key not found over PKCS#11");
  return { client, session: s, key };
}

/** Runs `op` in `n` concurrent loops for SECONDS; returns completed operations per second. */
async function measure(n: number, loop: (i: number, until: number) => Promise<number>) {
  const until = performance.now() + SECONDS * 1000;
  const start = performance.now();
  const counts = await Promise.all(Array.from({ length: n }, (_, i) => loop(i, until)));
  return counts.reduce((a, b) => a + b, 0) / ((performance.now() - start) / 1000);
}

const inst = await makeInstallation("ferrohsm-bench-p11-");
const run = join(inst.dir, "run");
await Deno.mkdir(run, { mode: 0o700 });
const socket = join(run, "p11.sock");
const server = await startServerProcess(
  inst.flags(["--pkcs11-socket", socket, "--rate-limit", "1000000"]),
);
try {
  const admin = await inst.token("bench", ["Administrator"]);
  const created = await fetch(`${server.url}/api/v1/keys`, {
    method: "POST",
    headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "bench-ec", algorithm: "EC-P256" }),
  }).then((r) => r.json());
  const keyId = created.id as string;
  const digest = crypto.getRandomValues(new Uint8Array(32));
  const message = crypto.getRandomValues(new Uint8Array(1024));
  const rows: string[][] = [];
  for (const n of CONNECTIONS) {
    const token = await inst.token("bench", ["Administrator"]);
    const sessions = await Promise.all(
      Array.from({ length: n }, () => session(socket, token, keyId)),
    );
    try {
      for (
        const [label, mechanism, data] of [
          ["CKM_ECDSA (32-byte digest)", CKM.ECDSA, digest],
          ["CKM_ECDSA_SHA256 (1 KiB message)¹", CKM.ECDSA_SHA256, message],
        ] as const
      ) {
        progress(`PKCS#11 ${label}, ${n} connection(s)`);
        const rate = await measure(n, async (i, until) => {
          const { client, session: s, key } = sessions[i] as Awaited<ReturnType<typeof session>>;
          let done = 0;
          while (performance.now() < until) {
            await client.call("C_SignInit", [s, { type: mechanism, params: null }, key]);
            const sig = await client.call("C_Sign", [s, { bytes: data, length: data.length }, 64]);
            if (sig.rv !== CKR.OK) throw new Error(`C_Sign failed: 0x${sig.rv.toString(16)}`);
            done++;
          }
          return done;
        });
        rows.push([`PKCS#11 ${label}`, String(n), fmtRate(rate)]);
      }
    } finally {
      for (const s of sessions) s.client.close();
    }
    progress(`REST sign (digest), ${n} connection(s)`);
    const body = JSON.stringify({ digest: toBase64(digest), signature_format: "raw" });
    const rest = await measure(n, async (_i, until) => {
      let done = 0;
      while (performance.now() < until) {
        const res = await fetch(`${server.url}/api/v1/keys/${keyId}/sign`, {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body,
        });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`REST sign failed: ${res.status}`);
        done++;
      }
      return done;
    });
    rows.push(["REST POST /sign (32-byte digest)", String(n), fmtRate(rest)]);
  }
  printLine(machineLine(await machineInfo()));
  printLine(
    markdownTable(
      ["operation (EC-P256, audited)", "connections", "signatures/s"],
      rows,
      new Set([1, 2]),
    ),
  );
  printLine(
    "¹ not forwarded by Debian 12's p11-kit client (0.24.1); measured with FerroHSM's own RPC client.",
  );
} finally {
  await server.stop();
  await inst.cleanup();
}
