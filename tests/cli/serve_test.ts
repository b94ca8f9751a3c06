/**
 * `ferrohsm serve` as operators run it: exit codes for missing configuration (2) and a
 * wrong master key (3), `--dev` generating and reusing its secrets and printing an
 * Administrator token, the file-backed stores, and offline `audit verify` finding an
 * edited entry.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { toHex } from "../../src/core/encoding.ts";
import { makeInstallation } from "../../testing/installation.ts";
import { client, runCli, runDeno, startServerProcess } from "../../testing/server_process.ts";

function launch(flags: string[]) {
  return runDeno([
    "run",
    "--no-prompt",
    "--allow-read",
    "--allow-env",
    "--allow-run",
    "src/cli/launch.ts",
    "serve",
    ...flags,
  ]);
}

Deno.test("serve without root secrets or keyset exits 2 with a clear message", async () => {
  const inst = await makeInstallation();
  try {
    const r = await launch(["--listen", "127.0.0.1:0", "--data-dir", inst.dataDir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--master-key-file and --hmac-key-file are required/);
    const r2 = await launch([
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      inst.dataDir,
      "--master-key-file",
      inst.masterKeyFile,
      "--hmac-key-file",
      inst.hmacKeyFile,
    ]);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /--jwt-keyset is required/);
    const r3 = await launch(["--key-store", "mongo"]);
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /Invalid --key-store "mongo"/);
  } finally {
    await inst.cleanup();
  }
});

Deno.test("a wrong master key for an existing data dir exits 3", async () => {
  const inst = await makeInstallation();
  try {
    const first = await startServerProcess(inst.flags());
    assert.equal(await first.stop(), 0);
    const other = join(inst.dir, "other.key");
    await Deno.writeTextFile(other, toHex(crypto.getRandomValues(new Uint8Array(32))));
    const flags = inst.flags().map((f) => (f === inst.masterKeyFile ? other : f));
    const r = await launch(flags);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /master key does not match/);
  } finally {
    await inst.cleanup();
  }
});

Deno.test("--dev generates secrets once, prints an admin token, and reuses them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-dev-" });
  try {
    const flags = ["--dev", "--listen", "127.0.0.1:0", "--data-dir", dir];
    const first = await startServerProcess(flags);
    const token = /Administrator token \(valid 5 minutes\): (\S+)/.exec(first.stdout())?.[1];
    assert.ok(token, first.stdout());
    assert.match(first.stdout(), /token mint --keyset/);
    const api = client(first.url, token);
    const key = await api("POST", "/api/v1/keys", { name: "dev", algorithm: "AES-256-GCM" });
    assert.equal(key.status, 201);
    const enc = await api("POST", `/api/v1/keys/${key.body.id}/encrypt`, { plaintext: "aGk=" });
    assert.equal(await first.stop(), 0);
    const mode = (await Deno.stat(join(dir, "dev", "master.key"))).mode ?? 0;
    assert.equal(mode & 0o777, 0o600);

    const second = await startServerProcess(flags);
    try {
      const token2 = /Administrator token \(valid 5 minutes\): (\S+)/.exec(second.stdout())?.[1];
      const api2 = client(second.url, token2);
      const dec = await api2("POST", `/api/v1/keys/${key.body.id}/decrypt`, {
        ciphertext: enc.body.ciphertext,
      });
      assert.equal(dec.status, 200, "the same dev secrets unseal the key after restart");
      assert.equal(dec.body.plaintext, "aGk=");
    } finally {
      assert.equal(await second.stop(), 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file-backed stores (no SQLite at all) work end to end and offline audit verify finds an edit", async () => {
  const inst = await makeInstallation();
  try {
    const flags = inst.flags([
      "--key-store",
      "filesystem",
      "--audit-store",
      "file",
      "--approval-store",
      "memory",
    ]);
    const server = await startServerProcess(flags);
    let keyId = "";
    try {
      const api = client(server.url, await inst.token("alice", ["Administrator"]));
      const key = await api("POST", "/api/v1/keys", { name: "f", algorithm: "EC-P256" });
      assert.equal(key.status, 201);
      keyId = key.body.id;
      assert.equal((await api("POST", `/api/v1/keys/${keyId}/rotate`)).status, 200);
      const sig = await api("POST", `/api/v1/keys/${keyId}/sign`, { message: "aGk=" });
      assert.equal(sig.status, 200);
      assert.equal(sig.body.version, 2);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const keyDir = join(inst.dataDir, "keys", keyId);
    const files = [...Deno.readDirSync(keyDir)].map((e) => e.name).sort();
    assert.deepEqual(files, ["current.json", "v00000001.json", "v00000002.json"]);

    const verifyArgs = [
      "audit",
      "verify",
      "--data-dir",
      inst.dataDir,
      "--hmac-key-file",
      inst.hmacKeyFile,
      "--audit-store",
      "file",
    ];
    const ok = await runCli(verifyArgs);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /audit log intact: \d+ entries/);

    const logFile = join(inst.dataDir, "audit", "audit.log");
    const lines = (await Deno.readTextFile(logFile)).split("\n");
    lines[1] = (lines[1] as string).replace('"actor":"alice"', '"actor":"mallory"');
    await Deno.writeTextFile(logFile, lines.join("\n"));
    const bad = await runCli(verifyArgs);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /first bad entry seq 2 \(mac_mismatch\)/);
  } finally {
    await inst.cleanup();
  }
});

Deno.test("token mint prints a token the server accepts; bad roles are a usage error", async () => {
  const inst = await makeInstallation();
  const server = await startServerProcess(inst.flags());
  try {
    const minted = await runCli([
      "token",
      "mint",
      "--keyset",
      inst.keysetFile,
      "--sub",
      "carol",
      "--roles",
      "Auditor",
      "--ttl",
      "120",
      "--kid",
      "es",
    ]);
    assert.equal(minted.code, 0, minted.stderr);
    const token = minted.stdout.trim();
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const header = JSON.parse(atob(token.split(".")[0] as string));
    assert.equal(header.alg, "ES256");
    const api = client(server.url, token);
    assert.equal((await api("GET", "/api/v1/audit?limit=1")).status, 200);
    assert.equal(
      (await api("POST", "/api/v1/keys", { name: "x", algorithm: "Ed25519" })).status,
      403,
    );
    const bad = await runCli([
      "token",
      "mint",
      "--keyset",
      inst.keysetFile,
      "--sub",
      "x",
      "--roles",
      "Root",
    ]);
    assert.equal(bad.code, 2);
    const long = await runCli([
      "token",
      "mint",
      "--keyset",
      inst.keysetFile,
      "--sub",
      "x",
      "--roles",
      "Auditor",
      "--ttl",
      "3600",
    ]);
    assert.equal(long.code, 2);
  } finally {
    await server.stop();
    await inst.cleanup();
  }
});
