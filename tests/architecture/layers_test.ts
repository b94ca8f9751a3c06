/**
 * Keeps the layers honest: reads the import graph with `deno info --json` from every
 * entry point and fails when a module imports a layer it may not. The table below is the
 * one in docs/architecture.md ("What each folder may import").
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runDeno } from "../../testing/server_process.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Every program entry (modules loaded by path at run time included). */
const ENTRIES = [
  "main.ts",
  "src/cli/launch.ts",
  "src/storage/sqlite/audit_writer_worker.ts",
  "scripts/release_launcher.ts",
  "src/core/offload/worker.ts",
];

type Layer =
  | "domain"
  | "core"
  | "util"
  | "storage-port"
  | "storage"
  | "services"
  | "transport"
  | "composition";

/** Folder prefix → layer, most specific first. */
const LAYERS: readonly [string, Layer][] = [
  ["src/domain/", "domain"],
  ["src/core/", "core"],
  ["src/util/", "util"],
  ["src/storage/ports.ts", "storage-port"],
  ["src/storage/", "storage"],
  ["src/access/", "services"],
  ["src/approvals/", "services"],
  ["src/audit/", "services"],
  ["src/auth/", "services"],
  ["src/keys/", "services"],
  ["src/metrics/", "services"],
  ["src/policy/", "services"],
  ["src/retention/", "services"],
  ["src/contract/", "transport"],
  ["src/http/", "transport"],
  ["src/pkcs11/", "transport"],
  ["src/transit/", "transport"],
  ["routes/", "transport"],
  ["views/", "transport"],
  ["static/", "transport"],
  ["src/tui/", "transport"],
  // The CLI's HTTP client and its errors are transport, shared with the TUI.
  ["src/cli/api_client.ts", "transport"],
  ["src/cli/errors.ts", "transport"],
  ["src/config/", "composition"],
  ["src/server/", "composition"],
  ["src/cli/", "composition"],
  ["scripts/", "composition"],
  ["main.ts", "composition"],
];

/** What each layer may import (besides itself). */
const MAY_IMPORT: Readonly<Record<Layer, readonly Layer[]>> = {
  domain: [],
  core: ["domain"],
  util: ["domain"],
  "storage-port": ["domain"],
  storage: ["storage-port", "core", "domain", "util"],
  services: ["storage-port", "core", "domain", "util"],
  transport: ["services", "storage-port", "core", "domain", "util"],
  composition: ["transport", "services", "storage", "storage-port", "core", "domain", "util"],
};

function layerOf(path: string): Layer | undefined {
  return LAYERS.find(([prefix]) => path.startsWith(prefix))?.[1];
}

interface InfoModule {
  readonly specifier: string;
  readonly dependencies?: readonly {
    readonly code?: { readonly specifier: string };
    readonly type?: { readonly specifier: string };
  }[];
}

async function importEdges(entry: string): Promise<[string, string][]> {
  const out = await runDeno(["info", "--json", entry]);
  assert.equal(out.code, 0, out.stderr);
  const info = JSON.parse(out.stdout) as { modules: InfoModule[] };
  const local = (url: string | undefined) =>
    url?.startsWith("file://") ? fileURLToPath(url).slice(ROOT.length) : undefined;
  const edges: [string, string][] = [];
  for (const module of info.modules) {
    const from = local(module.specifier);
    if (from === undefined) continue;
    for (const dep of module.dependencies ?? []) {
      for (const target of [dep.code?.specifier, dep.type?.specifier]) {
        const to = local(target);
        if (to !== undefined) edges.push([from, to]);
      }
    }
  }
  return edges;
}

Deno.test("no module imports a layer above its own", async () => {
  const violations = new Set<string>();
  let checked = 0;
  for (const entry of ENTRIES) {
    for (const [from, to] of await importEdges(entry)) {
      const a = layerOf(from);
      const b = layerOf(to);
      assert.ok(a !== undefined, `${from} belongs to no layer`);
      assert.ok(b !== undefined, `${to} belongs to no layer`);
      checked++;
      if (a !== b && !MAY_IMPORT[a].includes(b)) violations.add(`${from} (${a}) → ${to} (${b})`);
    }
  }
  assert.ok(checked > 300, `only ${checked} imports seen`);
  assert.deepEqual([...violations], []);
});

Deno.test("the layer check notices an import from below to above", () => {
  assert.equal(layerOf("src/core/sealing.ts"), "core");
  assert.ok(!MAY_IMPORT.core.includes(layerOf("src/storage/ports.ts") as Layer));
  assert.ok(!MAY_IMPORT.storage.includes(layerOf("src/keys/key_service.ts") as Layer));
  assert.ok(!MAY_IMPORT.services.includes(layerOf("routes/keys.ts") as Layer));
  assert.ok(!MAY_IMPORT.services.includes(layerOf("src/storage/sqlite/key_store.ts") as Layer));
});
