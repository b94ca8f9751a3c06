/**
 * deploy/ferrohsm.service: the hardening settings the operations guide promises are
 * present (parsed, not grepped), MemoryDenyWriteExecute stays off (V8's JIT), and, where
 * `systemd-analyze` exists, `systemd-analyze verify` accepts the unit without a warning.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "../../scripts/release.ts";

const UNIT = join(ROOT, "deploy", "ferrohsm.service");

/** Parses a unit file into section → key → values (continuation lines joined). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  const lines = text.replace(/\\\n/g, " ").split("\n");
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section !== null) {
      current = new Map();
      sections.set(section[1] as string, current);
      continue;
    }
    const eq = line.indexOf("=");
    assert.ok(current !== undefined && eq > 0, `unexpected line: ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

function which(command: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(join(dir, command)).isFile) return join(dir, command);
    } catch {
      // not here
    }
  }
  return undefined;
}

Deno.test("the systemd unit runs as a dedicated user with the promised hardening", async () => {
  const service = parseUnit(await Deno.readTextFile(UNIT)).get("Service");
  assert.ok(service);
  const one = (key: string) => service.get(key)?.at(-1);
  assert.equal(one("User"), "ferrohsm");
  assert.notEqual(one("User"), "root");
  assert.equal(one("ExecReload"), "/bin/kill -HUP $MAINPID", "reload re-reads the configuration");
  for (
    const [key, value] of [
      ["NoNewPrivileges", "yes"],
      ["ProtectSystem", "strict"],
      ["ProtectHome", "yes"],
      ["PrivateTmp", "yes"],
      ["PrivateDevices", "yes"],
      ["ReadWritePaths", "/var/lib/ferrohsm"],
      ["CapabilityBoundingSet", ""],
      ["AmbientCapabilities", ""],
      ["RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"],
      ["LimitCORE", "0"],
      ["UMask", "0077"],
    ]
  ) {
    assert.equal(one(key as string), value, key);
  }
  assert.ok(service.get("SystemCallFilter")?.includes("@system-service"));
  assert.equal(service.get("MemoryDenyWriteExecute"), undefined, "V8's JIT needs W^X flips");
  const credentials = service.get("LoadCredential") ?? [];
  for (const name of ["master.key", "hmac.key", "jwks.json"]) {
    assert.ok(credentials.some((c) => c.startsWith(`${name}:`)), name);
  }
  const exec = one("ExecStart") ?? "";
  assert.match(exec, /ferrohsm serve /);
  assert.match(exec, /--master-key-file %d\/master\.key/);
  assert.match(exec, /--hmac-key-file %d\/hmac\.key/);
  assert.match(exec, /--data-dir \/var\/lib\/ferrohsm/);
});

Deno.test({
  name: "systemd-analyze verify accepts the unit without warnings",
  ignore: which("systemd-analyze") === undefined,
  async fn() {
    // A throwaway root: the unit, stubs for ExecStart's and ExecReload's binaries, the host's stock units
    // (for sysinit.target and friends). verify exits 0 on mere warnings, so also demand
    // silence.
    const root = await Deno.makeTempDir({ prefix: "ferrohsm-systemd-" });
    try {
      const bin = join(root, "opt", "ferrohsm", "current");
      await Deno.mkdir(bin, { recursive: true });
      await Deno.writeTextFile(join(bin, "ferrohsm"), "#!/bin/sh\n", { mode: 0o755 });
      // ExecReload's /bin/kill (SIGHUP reloads the configuration).
      await Deno.mkdir(join(root, "bin"), { recursive: true });
      await Deno.writeTextFile(join(root, "bin", "kill"), "#!/bin/sh\n", { mode: 0o755 });
      const units = join(root, "etc", "systemd", "system");
      await Deno.mkdir(units, { recursive: true });
      await Deno.copyFile(UNIT, join(units, "ferrohsm.service"));
      const stock = ["/usr/lib/systemd/system", "/lib/systemd/system"].find((dir) => {
        try {
          return Deno.statSync(join(dir, "sysinit.target")).isFile;
        } catch {
          return false;
        }
      });
      if (stock !== undefined) {
        await Deno.mkdir(join(root, "usr", "lib", "systemd"), { recursive: true });
        const copy = await new Deno.Command("cp", {
          args: ["-r", stock, join(root, "usr", "lib", "systemd", "system")],
        }).output();
        assert.ok(copy.success);
      }
      const out = await new Deno.Command("systemd-analyze", {
        args: [`--root=${root}`, "verify", "ferrohsm.service"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, text);
      assert.equal(text.trim(), "");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
