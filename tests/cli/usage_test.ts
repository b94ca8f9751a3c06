/**
 * `ferrohsm` usage: help for every command group, exit 2 for usage errors (unknown
 * command or option, missing argument, bad choice, no token), exit 1 for an
 * unreachable server, and completion scripts that know the command tree.
 */

import assert from "node:assert/strict";
import { runCli } from "../../testing/server_process.ts";

Deno.test("help is printed for the program and each command group, with exit codes", async () => {
  const top = await runCli(["--help"]);
  assert.equal(top.code, 0);
  for (const name of ["init", "serve", "key", "encrypt", "approval", "audit", "completion"]) {
    assert.match(top.stdout, new RegExp(`^  ${name}\\b`, "m"));
  }
  assert.match(top.stdout, /Exit codes:/);
  assert.match(top.stdout, /--addr <url>.*FERROHSM_ADDR/);
  const key = await runCli(["key", "--help"]);
  assert.equal(key.code, 0);
  for (const sub of ["create", "list", "show", "rotate", "rollback", "versions", "revoke"]) {
    assert.match(key.stdout, new RegExp(`^  ${sub}\\b`, "m"));
  }
  for (const args of [["key", "create", "--help"], ["key", "help", "create"]]) {
    const create = await runCli(args);
    assert.equal(create.code, 0, args.join(" "));
    assert.match(create.stdout, /^Usage: ferrohsm key create/);
    assert.match(create.stdout, /--algorithm <algorithm>/);
  }
  assert.equal((await runCli(["help", "audit"])).code, 0);
  const serve = await runCli(["serve", "--help"]);
  assert.equal(serve.code, 0);
  assert.match(serve.stdout, /--master-key-file <value>\s+FERROHSM_MASTER_KEY_FILE/);
});

Deno.test("usage errors exit 2", async () => {
  const cases: string[][] = [
    [],
    ["frobnicate"],
    ["key"],
    ["key", "explode"],
    ["key", "show"],
    ["key", "show", "a", "b"],
    ["key", "list", "--bogus"],
    ["key", "list", "--per-page", "many"],
    ["key", "create", "--name", "x"],
    ["key", "create", "--name", "x", "--algorithm", "DES"],
    ["key", "create", "--name", "x", "--algorithm", "Ed25519", "--tag", "novalue"],
    ["completion", "fish"],
    ["audit", "verify", "--audit-store", "mongo"],
    ["serve", "--json"],
    ["serve", "--listen", "nowhere"],
  ];
  for (const args of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.ok(r.stderr.length > 0, args.join(" "));
  }
  const noToken = await runCli(["key", "list"], { FERROHSM_ADDR: "http://127.0.0.1:9" });
  assert.equal(noToken.code, 2);
  assert.match(noToken.stderr, /No token: pass --token or set FERROHSM_TOKEN/);
  const certOnly = await runCli(["--cert", "c.pem", "key", "list", "--token", "t"]);
  assert.equal(certOnly.code, 2);
});

Deno.test("an unreachable server exits 1 with a clear message", async () => {
  const r = await runCli(["--addr", "http://127.0.0.1:9", "--token", "t", "key", "list"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unreachable: Cannot reach http:\/\/127\.0\.0\.1:9/);
  const health = await runCli(["health", "--addr", "http://127.0.0.1:9"]);
  assert.equal(health.code, 1);
});

Deno.test("completion scripts list the command tree and bash completes from it", async () => {
  const bash = await runCli(["completion", "bash"]);
  assert.equal(bash.code, 0, bash.stderr);
  for (
    const name of ["init", "serve", "key", "create", "rollback", "approval", "approve", "tail"]
  ) {
    assert.match(bash.stdout, new RegExp(`\\b${name}\\b`));
  }
  assert.match(bash.stdout, /complete -o default -F _ferrohsm ferrohsm/);
  const zsh = await runCli(["completion", "zsh"]);
  assert.equal(zsh.code, 0, zsh.stderr);
  assert.match(zsh.stdout, /^#compdef ferrohsm/);

  const script = await Deno.makeTempFile({ suffix: ".bash" });
  try {
    await Deno.writeTextFile(script, bash.stdout);
    const probe = `source ${script}
t() { COMP_WORDS=("$@"); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _ferrohsm; echo "\${COMPREPLY[*]}"; }
t ferrohsm k
t ferrohsm key ro
t ferrohsm key create --algorithm EC
t ferrohsm completion ""`;
    const out = await new Deno.Command("bash", { args: ["-c", probe], stdout: "piped" }).output();
    assert.equal(out.code, 0);
    assert.deepEqual(new TextDecoder().decode(out.stdout).split("\n").slice(0, 4), [
      "key",
      "rotate rollback",
      "EC-P256 EC-P384",
      "bash zsh --addr --token --json --cert --key --ca --help",
    ]);
  } finally {
    await Deno.remove(script);
  }
});
