/**
 * `ferrohsm init`: the files it writes (modes 0600 in a 0700 folder), refusing to
 * overwrite an installation, `--print-secrets`, and its printed serve command and
 * Administrator token working against a server started with them.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, startServerProcess } from "../../testing/server_process.ts";
import { toHex } from "../../src/core/encoding.ts";
import { runCliWithInput } from "./_cli.ts";

function mode(path: string): number {
  return (Deno.statSync(path).mode ?? 0) & 0o777;
}

/** The flags of the printed `deno task serve ...` line. */
function printedServeFlags(stdout: string): string[] {
  const line = /^\s*deno task serve (.+)$/m.exec(stdout)?.[1];
  assert.ok(line, stdout);
  return line.split(" ");
}

Deno.test("init writes secrets, keyset and check values with mode 0600 and refuses a second run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-init-" });
  try {
    const data = join(dir, "data");
    const r = await runCli(["init", "--data-dir", data]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(mode(data), 0o700);
    assert.equal(mode(join(data, "secrets")), 0o700);
    for (const f of ["secrets/master.key", "secrets/hmac.key", "jwks.json", "kcv.json"]) {
      assert.equal(mode(join(data, f)), 0o600, f);
    }
    const master = await Deno.readTextFile(join(data, "secrets/master.key"));
    assert.match(master, /^[0-9a-f]{64}\n$/);
    assert.notEqual(master, await Deno.readTextFile(join(data, "secrets/hmac.key")));
    const jwks = JSON.parse(await Deno.readTextFile(join(data, "jwks.json")));
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0].alg, "ES256");
    assert.equal(jwks.keys[0].crv, "P-256");
    assert.equal(typeof jwks.keys[0].d, "string", "the private part is kept to mint tokens");
    const kcv = JSON.parse(await Deno.readTextFile(join(data, "kcv.json")));
    assert.match(kcv.master, /^[0-9a-f]{32}$/);
    assert.doesNotMatch(
      r.stdout,
      new RegExp(master.trim()),
      "secrets written to files are not printed",
    );

    const before = await Deno.readFile(join(data, "secrets/master.key"));
    const again = await runCli(["init", "--data-dir", data]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already holds an installation/);
    assert.deepEqual(await Deno.readFile(join(data, "secrets/master.key")), before);

    const other = join(dir, "other");
    await Deno.mkdir(other);
    await Deno.writeTextFile(join(other, "ferrohsm.db"), "");
    const db = await runCli(["init", "--data-dir", other]);
    assert.equal(db.code, 1);
    assert.match(db.stderr, /ferrohsm\.db/);
    assert.deepEqual([...Deno.readDirSync(other)].map((e) => e.name), ["ferrohsm.db"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init's serve command and token start a server the CLI can use", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-init-" });
  try {
    const r = await runCli(["init", "--data-dir", join(dir, "data")]);
    assert.equal(r.code, 0, r.stderr);
    const token = /Administrator token[^\n]*\n\s*(\S+)/.exec(r.stdout)?.[1];
    assert.ok(token, r.stdout);
    const server = await startServerProcess([
      ...printedServeFlags(r.stdout),
      "--listen",
      "127.0.0.1:0",
    ]);
    try {
      const env = { FERROHSM_ADDR: server.url, FERROHSM_TOKEN: token };
      const created = await runCli(
        ["--json", "key", "create", "--name", "first", "--algorithm", "AES-256-GCM"],
        env,
      );
      assert.equal(created.code, 0, created.stderr);
      const id = JSON.parse(created.stdout).id;
      const enc = await runCliWithInput(["encrypt", id], "bootstrap", env);
      assert.equal(enc.code, 0, enc.stderr);
      const dec = await runCliWithInput(["decrypt", id], enc.stdout, env);
      assert.equal(new TextDecoder().decode(dec.stdout), "bootstrap");
      const audit = await runCli(["audit", "tail", "--json"], env);
      const items = JSON.parse(audit.stdout).items as { action: string; actor: string }[];
      assert.equal(items.find((e) => e.action === "key.create")?.actor, "admin");
    } finally {
      assert.equal(await server.stop(), 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init --print-secrets prints the root keys once, writes none, and binds the data dir to them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-init-" });
  try {
    const data = join(dir, "data");
    const r = await runCli(["--json", "init", "--data-dir", data, "--print-secrets"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.match(out.master_key, /^[0-9a-f]{64}$/);
    assert.match(out.hmac_key, /^[0-9a-f]{64}$/);
    assert.deepEqual([...Deno.readDirSync(data)].map((e) => e.name).sort(), [
      "jwks.json",
      "kcv.json",
    ]);
    const master = join(dir, "master.key");
    const hmac = join(dir, "hmac.key");
    await Deno.writeTextFile(master, out.master_key);
    await Deno.writeTextFile(hmac, out.hmac_key);
    const flags = out.serve_args.map((a: string) =>
      a === "MASTER_KEY_FILE" ? master : a === "HMAC_KEY_FILE" ? hmac : a
    );
    const server = await startServerProcess([...flags, "--listen", "127.0.0.1:0"]);
    assert.equal(await server.stop(), 0);

    // A different HMAC key does not match the check values init wrote: exit 3.
    await Deno.writeTextFile(hmac, toHex(crypto.getRandomValues(new Uint8Array(32))));
    const wrong = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "src/cli/launch.ts", "serve", ...flags, "--listen", "127.0.0.1:0"],
      cwd: new URL("../../", import.meta.url),
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(wrong.code, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
