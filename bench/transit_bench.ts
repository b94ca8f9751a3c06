/**
 * What the Vault Transit bridge costs over the native API, in process (Hono
 * `app.request`, SQLite stores and audit in a temp dir, no network): AES-256-GCM encrypt
 * of 32 bytes and ECDSA P-256 sign of 32 bytes through `/api/v1/keys/:id/...` (baseline)
 * and through `/v1/transit/...` with the name already resolved (the steady state: one
 * audit entry per call, as on the API).
 *
 *   deno bench --allow-read --allow-write --allow-env --allow-ffi --allow-sys bench/transit_bench.ts
 */

import { parseServeConfig } from "../src/config/config.ts";
import { loadServerConfig } from "../src/config/config_files.ts";
import { buildApp } from "../src/server/app.ts";
import { buildServices } from "../src/server/services.ts";
import { makeInstallation } from "../testing/installation.ts";

const inst = await makeInstallation("ferrohsm-bench-");
const flags = inst.flags(["--rate-limit", "1000000"]);
const config = await loadServerConfig(parseServeConfig(flags, () => undefined));
const services = await buildServices(config, { log() {} });
const app = buildApp(services, config, () => true);
const token = await inst.token("bench", ["Operator"]);
const json = (method: string, body?: unknown, vault = false): RequestInit => ({
  method,
  headers: {
    ...(vault ? { "X-Vault-Token": token } : { Authorization: `Bearer ${token}` }),
    "Content-Type": "application/json",
  },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});
async function call(path: string, init: RequestInit): Promise<Record<string, unknown>> {
  const res = await app.request(path, init);
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return await res.json();
}

const data = btoa("0123456789abcdef0123456789abcdef");
const aes = await call("/v1/transit/keys/bench-aes", json("POST", {}, true));
const ec = await call("/v1/transit/keys/bench-ec", json("POST", { type: "ecdsa-p256" }, true));
const aesId = ((aes.data as Record<string, unknown>).ferrohsm as { id: string }).id;
const ecId = ((ec.data as Record<string, unknown>).ferrohsm as { id: string }).id;
// Resolve both names once, as a long-running client would have.
await call("/v1/transit/encrypt/bench-aes", json("POST", { plaintext: data }, true));
await call("/v1/transit/sign/bench-ec", json("POST", { input: data }, true));

Deno.bench("API encrypt (AES-256-GCM, 32 B)", { group: "encrypt", baseline: true }, async () => {
  await call(`/api/v1/keys/${aesId}/encrypt`, json("POST", { plaintext: data }));
});

Deno.bench("Transit encrypt (AES-256-GCM, 32 B)", { group: "encrypt" }, async () => {
  await call("/v1/transit/encrypt/bench-aes", json("POST", { plaintext: data }, true));
});

Deno.bench("API sign (ECDSA P-256)", { group: "sign", baseline: true }, async () => {
  await call(`/api/v1/keys/${ecId}/sign`, json("POST", { message: data }));
});

Deno.bench("Transit sign (ECDSA P-256)", { group: "sign" }, async () => {
  await call("/v1/transit/sign/bench-ec", json("POST", { input: data }, true));
});

// Benches have no teardown hook: remove the temp installation as the process exits.
globalThis.addEventListener("unload", () => Deno.removeSync(inst.dir, { recursive: true }));
