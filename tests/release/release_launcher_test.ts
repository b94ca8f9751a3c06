/**
 * scripts/release_launcher.ts: in a release folder layout, `serve` gets exactly the
 * flags src/cli/permissions.ts derives (rooted at the folder, with read access to the
 * hoisted addon package for require()), and other commands a bounded set without
 * subprocesses.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { cliPermissions, releasePermissions } from "../../scripts/release_launcher.ts";
import { libsqlAddonPath, servePermissions } from "../../src/cli/permissions.ts";
import { parseServeConfig } from "../../src/config/config.ts";

async function fakeRelease(): Promise<{ root: string; pkg: string }> {
  const root = await Deno.makeTempDir({ prefix: "ferrohsm-fake-release-" });
  const arch = Deno.build.arch === "aarch64" ? "arm64" : "x64";
  const name = Deno.build.os === "darwin" ? `darwin-${arch}` : `linux-${arch}-gnu`;
  const pkg = join(root, "node_modules", "@libsql", name);
  await Deno.mkdir(pkg, { recursive: true });
  await Deno.writeFile(join(pkg, "index.node"), new Uint8Array(0));
  return { root, pkg };
}

const SERVE = [
  "--listen",
  "127.0.0.1:8443",
  "--data-dir",
  "/srv/hsm",
  "--master-key-file",
  "/etc/hsm/master.key",
  "--hmac-key-file",
  "/etc/hsm/hmac.key",
  "--jwt-keyset",
  "/etc/hsm/jwks.json",
];

Deno.test("serve in a release folder gets the derived flags plus read on its node_modules", async () => {
  const { root, pkg } = await fakeRelease();
  try {
    assert.equal(libsqlAddonPath(root), join(pkg, "index.node"));
    const flags = releasePermissions(["serve", ...SERVE], root);
    assert.deepEqual(flags, servePermissions(parseServeConfig(SERVE), root));
    const read = flags.find((f) => f.startsWith("--allow-read="))?.split("=")[1]?.split(",");
    assert.ok(read?.includes(join(root, "node_modules")));
    assert.ok(read?.includes(join(root, "migrations")));
    assert.ok(flags.includes(`--allow-ffi=${join(pkg, "index.node")}`));
    assert.ok(flags.includes("--allow-net=127.0.0.1:8443,unix:/srv/hsm/ferrohsm-http.sock"));
    assert.ok(flags.includes("--allow-write=/srv/hsm"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("invalid serve flags throw before anything is launched", () => {
  assert.throws(() => releasePermissions(["serve", "--key-store", "mongo"], "/opt/x"));
});

Deno.test("other commands get the CLI set: FFI only for the addon, no subprocesses", async () => {
  const { root, pkg } = await fakeRelease();
  try {
    const flags = releasePermissions(["audit", "verify"], root);
    assert.deepEqual(flags, cliPermissions(root));
    assert.ok(flags.includes("--no-prompt"));
    assert.ok(flags.includes(`--allow-ffi=${join(pkg, "index.node")}`));
    assert.ok(!flags.some((f) => f === "-A" || f.startsWith("--allow-run") || f === "--allow-all"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
