/**
 * Start-up through the real launcher: one data dir, one server (a second server exits 2
 * naming the first one's pid); a data dir or file that cannot be used, a listen address
 * in use, or one key given as both root secrets, each exit with a message that says what
 * failed in words, never a runtime error name or advice to widen Deno's permissions;
 * the SQLite database and its `-wal` and `-shm` files are private (0600) wherever
 * `--sqlite-path` puts them.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type Installation, makeInstallation } from "../../testing/installation.ts";
import {
  client,
  type CommandResult,
  ROOT,
  startServerProcess,
} from "../../testing/server_process.ts";

/** Runs `serve` through the launcher; a server still running after 30 s is stopped (code -1). */
async function launch(flags: string[]): Promise<CommandResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-env",
      "--allow-run",
      "src/cli/launch.ts",
      "serve",
      ...flags,
    ],
    cwd: ROOT,
    env: {},
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stillRunning = false;
  const timer = setTimeout(() => {
    stillRunning = true;
    child.kill("SIGTERM");
  }, 30_000);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return {
    code: stillRunning ? -1 : out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** Nothing a runtime prints on its own: class names, stack frames, permission advice. */
function assertWordsOnly(stderr: string): void {
  assert.doesNotMatch(stderr, /AddrInUse|PermissionDenied|NotFound|NotCapable|NotADirectory/);
  assert.doesNotMatch(stderr, /--allow-|allow-all|\s+at\s+\S+\.ts:\d+/);
}

function mode(path: string): number {
  return (Deno.statSync(path).mode ?? 0) & 0o777;
}

Deno.test("a second server on a data dir in use exits 2 naming the first one's pid", async () => {
  const inst = await makeInstallation();
  const first = await startServerProcess(inst.flags(["--listen", "127.0.0.1:0"]));
  try {
    const second = await launch(inst.flags(["--listen", "127.0.0.1:0"]));
    assert.equal(second.code, 2, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(
        `data dir ${inst.dataDir} is in use by another ferrohsm process \\(pid ${first.serverPid}\\)`,
      ),
    );
    assertWordsOnly(second.stderr);
    assert.doesNotMatch(second.stdout, /listening on/);
    const ready = await client(first.url)("GET", "/readyz");
    assert.equal(ready.status, 200, "the first server is unaffected");
  } finally {
    assert.equal(await first.stop(), 0);
  }
  try {
    const again = await startServerProcess(inst.flags(["--listen", "127.0.0.1:0"]));
    assert.equal(await again.stop(), 0, "the lock is released at shutdown");
  } finally {
    await inst.cleanup();
  }
});

Deno.test("a data dir that cannot be created or written exits 2 with a clear message", async () => {
  const inst = await makeInstallation();
  try {
    const file = join(inst.dir, "not-a-dir");
    await Deno.writeTextFile(file, "");
    const cases = [join(file, "data")];
    // /sys refuses new folders even to root (EPERM): a data dir nobody may create.
    if (Deno.build.os === "linux") cases.push(`/sys/ferrohsm-test-${crypto.randomUUID()}`);
    for (const dataDir of cases) {
      const flags = inst.flags(["--listen", "127.0.0.1:0"]).map((f) =>
        f === inst.dataDir ? dataDir : f
      );
      const r = await launch(flags);
      assert.equal(r.code, 2, `${dataDir}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`Cannot use data dir ${dataDir}: \\w`));
      assertWordsOnly(r.stderr);
    }
  } finally {
    await inst.cleanup();
  }
});

Deno.test("an address in use is named in words", async () => {
  const inst = await makeInstallation();
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const r = await launch(inst.flags(["--listen", `127.0.0.1:${port}`]));
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`),
    );
    assertWordsOnly(r.stderr);
  } finally {
    taken.close();
    await inst.cleanup();
  }
});

Deno.test("a missing TLS certificate file is named in words", async () => {
  const inst = await makeInstallation();
  try {
    const missing = join(inst.dir, "missing.pem");
    const r = await launch(
      inst.flags(["--listen", "127.0.0.1:0", "--tls-cert", missing, "--tls-key", missing]),
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`Cannot read --tls-cert ${missing}: not found`));
    assertWordsOnly(r.stderr);
  } finally {
    await inst.cleanup();
  }
});

function sameKeyFlags(inst: Installation, hmacKeyFile: string): string[] {
  return inst.flags(["--listen", "127.0.0.1:0"]).map((f) =>
    f === inst.hmacKeyFile ? hmacKeyFile : f
  );
}

Deno.test("one key given as both the master and the HMAC key exits 2", async () => {
  const inst = await makeInstallation();
  try {
    const copy = join(inst.dir, "copy.key");
    await Deno.copyFile(inst.masterKeyFile, copy);
    const link = join(inst.dir, "link.key");
    await Deno.symlink(inst.masterKeyFile, link);
    for (const hmac of [inst.masterKeyFile, copy, link]) {
      const r = await launch(sameKeyFlags(inst, hmac));
      assert.equal(r.code, 2, `${hmac}: ${r.stderr}`);
      assert.match(r.stderr, /--master-key-file and --hmac-key-file hold the same key/);
      assertWordsOnly(r.stderr);
    }
  } finally {
    await inst.cleanup();
  }
});

Deno.test("the SQLite database and its -wal and -shm files are 0600 wherever --sqlite-path is", async () => {
  const inst = await makeInstallation();
  try {
    const elsewhere = join(inst.dir, "db");
    await Deno.mkdir(elsewhere, { mode: 0o755 });
    const sqlitePath = join(elsewhere, "custom.db");
    // A database file left 0644 by an earlier version is tightened too.
    await Deno.writeTextFile(sqlitePath, "");
    await Deno.chmod(sqlitePath, 0o644);
    const server = await startServerProcess(
      inst.flags(["--listen", "127.0.0.1:0", "--sqlite-path", sqlitePath]),
    );
    try {
      const admin = client(server.url, await inst.token("admin", ["Administrator"]));
      assert.equal(
        (await admin("POST", "/api/v1/keys", { name: "k", algorithm: "AES-256-GCM" })).status,
        201,
      );
      for (const suffix of ["", "-wal", "-shm"]) {
        assert.equal(mode(`${sqlitePath}${suffix}`), 0o600, `custom.db${suffix}`);
      }
      for (const entry of Deno.readDirSync(inst.dataDir)) {
        const path = join(inst.dataDir, entry.name);
        if (entry.isFile) assert.equal(mode(path), 0o600, entry.name);
      }
    } finally {
      assert.equal(await server.stop(), 0);
    }
  } finally {
    await inst.cleanup();
  }
});
