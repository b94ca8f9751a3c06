/**
 * The release folder works on a machine without the checkout: one build (bundles, addon,
 * migrations, deno binary, launcher), copied to a fresh temp dir, then run from an empty
 * working directory with a bare PATH and environment: `ferrohsm serve` with derived
 * least-privilege permissions, one key created and used over HTTP, a policy script
 * deciding in a sandbox child of the shipped deno, a clean stop, `ferrohsm audit verify`
 * exiting 0, and `ferrohsm init` printing the folder's own commands.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { buildRelease, copyTree, ROOT } from "../../scripts/release.ts";
import { makeInstallation } from "../../testing/installation.ts";
import { client } from "../../testing/server_process.ts";

const BARE_PATH = "/usr/bin:/bin";

async function readUntilListening(
  child: Deno.ChildProcess,
): Promise<{ url: string; rest: Promise<string>; stderr: Promise<string> }> {
  const dec = new TextDecoder();
  const stderr = (async () => {
    let err = "";
    for await (const chunk of child.stderr) err += dec.decode(chunk, { stream: true });
    return err;
  })();
  const reader = child.stdout.getReader();
  let out = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      throw new Error(
        `server exited before listening (${(await child.status).code}):\n${await stderr}`,
      );
    }
    out += dec.decode(value, { stream: true });
    const url = /listening on (\S+)/.exec(out)?.[1];
    if (url !== undefined) {
      const rest = (async () => {
        for (;;) {
          const next = await reader.read();
          if (next.done) return out;
          out += dec.decode(next.value, { stream: true });
        }
      })();
      return { url, rest, stderr };
    }
  }
}

Deno.test("release build: the folder runs from an empty directory without the checkout", async () => {
  const build = await Deno.makeTempDir({ prefix: "ferrohsm-release-build-" });
  const install = await Deno.makeTempDir({ prefix: "ferrohsm-release-install-" });
  const cwd = await Deno.makeTempDir({ prefix: "ferrohsm-release-cwd-" });
  // deno keeps its code cache under $HOME/.cache; give it a home of its own.
  const userHome = await Deno.makeTempDir({ prefix: "ferrohsm-release-home-" });
  const inst = await makeInstallation();
  try {
    assert.ok(!install.startsWith(ROOT) && !cwd.startsWith(ROOT));
    const built = await buildRelease({
      outDir: build,
      version: "0.0.0-test",
      epoch: 1_700_000_000,
      archive: false,
    });
    const home = join(install, built.name);
    await copyTree(built.folder, home);
    await Deno.remove(build, { recursive: true });

    const env = { PATH: BARE_PATH, HOME: userHome, FERROHSM_PRINT_PERMISSIONS: "1" };
    const server = new Deno.Command(join(home, "ferrohsm"), {
      args: ["serve", ...inst.flags(["--policy-deadline-ms", "1000"])],
      cwd,
      clearEnv: true,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let stopped = false;
    try {
      const { url, stderr } = await readUntilListening(server);
      const api = client(url, await inst.token("alice", ["Administrator"]));
      const key = await api("POST", "/api/v1/keys", { name: "release", algorithm: "AES-256-GCM" });
      assert.equal(key.status, 201, JSON.stringify(key.body));
      const plaintext = btoa("from the release folder");
      const enc = await api("POST", `/api/v1/keys/${key.body.id}/encrypt`, { plaintext });
      assert.equal(enc.status, 200, JSON.stringify(enc.body));
      const dec = await api("POST", `/api/v1/keys/${key.body.id}/decrypt`, {
        ciphertext: enc.body.ciphertext,
      });
      assert.equal(dec.status, 200, JSON.stringify(dec.body));
      assert.equal(dec.body.plaintext, plaintext);
      const policy = await api("POST", "/api/v1/policies", {
        name: "no decrypt",
        script: "export default (ctx) => ctx.action !== 'decrypt' || { deny: 'sealed' }",
        scope: { key_ids: [key.body.id] },
      });
      assert.equal(policy.status, 201, JSON.stringify(policy.body));
      const refused = await api("POST", `/api/v1/keys/${key.body.id}/decrypt`, {
        ciphertext: enc.body.ciphertext,
      });
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, "policy_denied");

      server.kill("SIGTERM");
      stopped = true;
      assert.equal((await server.status).code, 0);
      // The launcher printed the derived flags: scoped, never -A, and running only the
      // shipped deno (the policy sandbox children).
      const flags = (await stderr).split("\n").find((l) => l.startsWith("--no-prompt")) ?? "";
      assert.match(flags, /--allow-net=127\.0\.0\.1:0(,unix:\S+)?(\s|$)/);
      assert.ok(flags.includes(`--allow-ffi=${home}/node_modules/@libsql/`), flags);
      assert.ok(flags.includes(`--allow-write=${inst.dataDir}`), flags);
      assert.ok(flags.includes(`--allow-run=${home}/deno`), flags);
      assert.doesNotMatch(
        flags,
        /(^|\s)(-A|--allow-all|--allow-run|--allow-read|--allow-write)(\s|$)/,
      );
    } finally {
      if (!stopped) server.kill("SIGKILL");
      await server.status;
    }

    const verify = await new Deno.Command(join(home, "ferrohsm"), {
      args: ["audit", "verify", "--data-dir", inst.dataDir, "--hmac-key-file", inst.hmacKeyFile],
      cwd,
      clearEnv: true,
      env: { PATH: BARE_PATH, HOME: userHome },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(verify.stdout);
    assert.equal(verify.code, 0, `${out}\n${new TextDecoder().decode(verify.stderr)}`);
    assert.match(out, /intact/);

    // init prints the commands of the release folder, not the checkout's deno tasks.
    const fresh = join(install, "fresh-data");
    const init = await new Deno.Command(join(home, "ferrohsm"), {
      args: ["init", "--data-dir", fresh],
      cwd,
      clearEnv: true,
      env: { PATH: BARE_PATH, HOME: userHome },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const printed = new TextDecoder().decode(init.stdout);
    assert.equal(init.code, 0, new TextDecoder().decode(init.stderr));
    assert.ok(printed.includes(`${join(home, "ferrohsm")} serve --data-dir ${fresh}`), printed);
    assert.ok(printed.includes(`Mint more: ${join(home, "ferrohsm")} token mint`), printed);
    assert.doesNotMatch(printed, /deno task/);
    assert.deepEqual([...Deno.readDirSync(cwd)], [], "nothing is written to the working directory");
  } finally {
    await inst.cleanup();
    for (const dir of [build, install, cwd, userHome]) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }
});
