/**
 * The TUI is a client: it may import the contract's types, the domain's names, the
 * CLI's HTTP client and small utilities, never services, storage or the server.
 */

import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ALLOWED = [
  "src/tui/",
  "src/contract/",
  "src/domain/",
  "src/util/",
  "src/core/encoding.ts",
  "src/cli/api_client.ts",
  "src/cli/errors.ts",
];

async function* files(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* files(path);
    else if (path.endsWith(".ts")) yield path;
  }
}

Deno.test("the TUI imports only the contract, domain, API client and utilities", async () => {
  const bad: string[] = [];
  let seen = 0;
  for await (const file of files(join(ROOT, "src/tui"))) {
    const text = await Deno.readTextFile(file);
    for (const m of text.matchAll(/(?:from|import\()\s*"(\.[^"]+)"/g)) {
      const target = relative(ROOT, join(dirname(file), m[1] ?? ""));
      seen++;
      if (!ALLOWED.some((p) => target.startsWith(p))) {
        bad.push(`${relative(ROOT, file)} → ${target}`);
      }
    }
  }
  assert.ok(seen > 50, `only ${seen} imports seen`);
  assert.deepEqual(bad, []);
});
