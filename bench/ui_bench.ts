/**
 * Server time of the dashboard's Keys page with 10 000 keys in the SQLite key store
 * (target: under 20 ms), measured in process through `app.request` with a signed-in
 * session: the whole page and the `#key-table` fragment, first page and a page deep in
 * the list reached by its keyset cursor, and a name search. The key-listing cache is
 * emptied before every call, so each one reads the store, checks every record's MAC,
 * writes its audit entry (durable SQLite audit, as in production) and renders.
 * For comparison: the same page with the audit log in memory (no fsync: what the
 * rendering, store read and MAC checks cost), and the store's own OFFSET and keyset
 * reads of the same deep page.
 *
 *   deno task bench bench/ui_bench.ts
 *
 * Keys are bulk-loaded by bench/_populate.ts (half AES-256-GCM, half EC-P256).
 */

import { parseServeConfig } from "../src/config/config.ts";
import { loadServerConfig } from "../src/config/config_files.ts";
import { buildApp } from "../src/server/app.ts";
import { buildServices } from "../src/server/services.ts";
import { MemoryAuditStore } from "../src/storage/memory/audit_store.ts";
import { makeInstallation } from "../testing/installation.ts";
import { encodeCursor } from "../routes/ui/keys.ts";
import { populateKeys, sealerFor } from "./_populate.ts";

const KEYS = 10_000;
const quiet = { log() {} };

const inst = await makeInstallation("ferrohsm-ui-bench-");
const config = await loadServerConfig(parseServeConfig(inst.flags(), () => undefined));
await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
await populateKeys(
  config.sqlitePath,
  await sealerFor(inst.masterKeyFile, inst.hmacKeyFile),
  { from: 0, to: KEYS },
  ["AES-256-GCM", "EC-P256"],
);
const services = await buildServices(config, quiet);
const app = buildApp(services, config, () => true);
// The same keys, with the audit log in memory.
const memoryServices = await buildServices(config, quiet, { auditStore: new MemoryAuditStore() });
const memoryApp = buildApp(memoryServices, config, () => true);

async function signIn(target: typeof app): Promise<string> {
  const res = await target.request("/ui/login", {
    method: "POST",
    headers: { Origin: "http://localhost", "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: await inst.token("bench", ["Administrator"]) }),
  });
  const cookie = /(__Host-ferrohsm_session=[A-Za-z0-9_-]+)/.exec(
    res.headers.get("Set-Cookie") ?? "",
  )?.[1];
  if (res.status !== 303 || cookie === undefined) throw new Error("bench sign-in failed");
  return cookie;
}
const cookie = await signIn(app);
const memoryCookie = await signIn(memoryApp);

const all = await services.stores.keys.list({ offset: 0, limit: KEYS });
const deep = all.items[KEYS - 60];
if (all.total !== KEYS || deep === undefined) throw new Error("bench keys missing");
const deepQuery = `after=${encodeCursor(deep)}`;

async function page(path: string, fragment = false, inMemory = false): Promise<void> {
  (inMemory ? memoryServices : services).listCache.invalidate();
  const res = await (inMemory ? memoryApp : app).request(path, {
    headers: {
      Cookie: inMemory ? memoryCookie : cookie,
      ...(fragment ? { "HX-Request": "true", "HX-Target": "key-table" } : {}),
    },
  });
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
  await res.arrayBuffer();
}

Deno.bench("keys page, first page (10 000 keys)", { group: "keys", baseline: true }, async () => {
  await page("/ui/keys");
});

Deno.bench("keys page, deep page by keyset cursor", { group: "keys" }, async () => {
  await page(`/ui/keys?${deepQuery}`);
});

Deno.bench("keys table fragment, deep page by keyset cursor", { group: "keys" }, async () => {
  await page(`/ui/keys?${deepQuery}`, true);
});

Deno.bench("keys table fragment, name search over 10 000", { group: "keys" }, async () => {
  await page("/ui/keys?name=bench-99", true);
});

Deno.bench("keys page, deep page, audit log in memory", { group: "keys" }, async () => {
  await page(`/ui/keys?${deepQuery}`, false, true);
});

Deno.bench("store only: the same deep page by OFFSET", { group: "store" }, async () => {
  await services.stores.keys.list({ offset: KEYS - 59, limit: 51 });
});

Deno.bench("store only: the same deep page by keyset cursor", { group: "store" }, async () => {
  await services.stores.keys.list({ offset: 0, limit: 51, after: deep });
});

globalThis.addEventListener("unload", () => {
  Deno.removeSync(inst.dir, { recursive: true });
});
