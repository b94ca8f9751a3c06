/**
 * The client commands of `ferrohsm` driven as subprocesses against a real server: key
 * lifecycle, encrypt/decrypt through files and stdin/stdout, sign/verify exit codes,
 * dual-control destruction approved by a second administrator, audit tail, health,
 * metrics, and `--json` output that parses.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { makeInstallation } from "../../testing/installation.ts";
import { runCli, startServerProcess } from "../../testing/server_process.ts";
import { runCliWithInput } from "./_cli.ts";

Deno.test("the CLI manages keys, runs crypto, approvals and audit against a server", async (t) => {
  const inst = await makeInstallation();
  const server = await startServerProcess(inst.flags());
  try {
    const admin = {
      FERROHSM_ADDR: server.url,
      FERROHSM_TOKEN: await inst.token("alice", ["Administrator"]),
    };
    const cli = (...args: string[]) => runCli(args, admin);
    const json = async (...args: string[]) => {
      const r = await runCli(["--json", ...args], admin);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };

    let aesId = "";
    await t.step("key create, list, show, rotate, versions and revoke", async () => {
      const created = await cli(
        "key",
        "create",
        "--name",
        "payments",
        "--algorithm",
        "AES-256-GCM",
        "--tag",
        "env=prod",
        "--tag",
        "team=core",
      );
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /^name\s+payments$/m);
      assert.match(created.stdout, /^state\s+active$/m);
      assert.ok(!created.stdout.includes("\x1b["), "no colours when stdout is a pipe");
      assert.equal(created.stderr, "", "no progress when stderr is not a terminal");
      aesId = /^id\s+(\S+)$/m.exec(created.stdout)?.[1] ?? "";
      assert.ok(aesId);

      const list = await cli("key", "list", "--tag", "env:prod");
      assert.equal(list.code, 0, list.stderr);
      const [header, row] = list.stdout.split("\n");
      assert.match(header ?? "", /^ID\s+NAME\s+ALGORITHM\s+STATE\s+VERSION/);
      assert.ok(row?.startsWith(aesId));
      assert.equal(row?.indexOf("payments"), header?.indexOf("NAME"), "columns are aligned");
      assert.match(list.stdout, /page 1 of 1, 1 key\(s\)/);
      const page = await json("key", "list", "--per-page", "5", "--algorithm", "AES-256-GCM");
      assert.equal(page.per_page, 5);
      assert.deepEqual(page.items.map((k: { id: string }) => k.id), [aesId]);

      const shown = await json("key", "show", aesId);
      assert.deepEqual(shown.tags, { env: "prod", team: "core" });
      assert.equal((await json("key", "rotate", aesId)).current_version, 2);
      const versions = await cli("key", "versions", aesId);
      assert.equal(versions.code, 0, versions.stderr);
      assert.match(versions.stdout, /^VERSION\s+STATE/);
      assert.match(versions.stdout, /^2\s+active/m);
      assert.equal((await json("key", "versions", aesId)).items.length, 2);
      const rolled = await cli("key", "rollback", aesId, "--version", "1");
      assert.equal(rolled.code, 0, rolled.stderr);
      assert.match(rolled.stdout, /^version\s+3$/m);
      assert.equal((await cli("key", "rollback", aesId)).code, 2, "--version is required");
    });

    await t.step("encrypt and decrypt round trip through files and stdin/stdout", async () => {
      const plain = join(inst.dir, "plain.bin");
      const ct = join(inst.dir, "ct.txt");
      const back = join(inst.dir, "back.bin");
      const data = crypto.getRandomValues(new Uint8Array(3000));
      await Deno.writeFile(plain, data);
      const enc = await cli("encrypt", aesId, "--in", plain, "--out", ct);
      assert.equal(enc.code, 0, enc.stderr);
      assert.match(await Deno.readTextFile(ct), /^fhsm:v3:[A-Za-z0-9+/=]+\n$/);
      const dec = await cli("decrypt", aesId, "--in", ct, "--out", back);
      assert.equal(dec.code, 0, dec.stderr);
      assert.deepEqual(await Deno.readFile(back), data);
      assert.equal(((await Deno.stat(back)).mode ?? 0) & 0o777, 0o600);

      const aad = join(inst.dir, "aad");
      await Deno.writeTextFile(aad, "context");
      const piped = await runCliWithInput(["encrypt", aesId, "--aad-file", aad], "hello\n", admin);
      assert.equal(piped.code, 0, piped.stderr);
      const ciphertext = new TextDecoder().decode(piped.stdout);
      const out = await runCliWithInput(["decrypt", aesId, "--aad-file", aad], ciphertext, admin);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(new TextDecoder().decode(out.stdout), "hello\n");
      const noAad = await runCliWithInput(["decrypt", aesId], ciphertext, admin);
      assert.equal(noAad.code, 1);
      assert.match(
        noAad.stderr,
        /^ferrohsm: \w+: /m,
        "the contract error is printed as code: message",
      );
    });

    await t.step("revoke leaves decrypt working and refuses encrypt with exit 1", async () => {
      const revoked = await json("key", "revoke", aesId);
      assert.equal(revoked.state, "revoked");
      const ct = join(inst.dir, "ct.txt");
      assert.equal(
        (await cli("decrypt", aesId, "--in", ct, "--out", join(inst.dir, "b2"))).code,
        0,
      );
      const enc = await runCliWithInput(["encrypt", aesId], "x", admin);
      assert.equal(enc.code, 1);
      assert.match(enc.stderr, /invalid_state: /);
    });

    await t.step("sign then verify exits 0; a flipped signature exits 1", async () => {
      const key = await json("key", "create", "--name", "release", "--algorithm", "Ed25519");
      const msg = join(inst.dir, "msg.txt");
      const sig = join(inst.dir, "msg.sig");
      await Deno.writeTextFile(msg, "release 1.0");
      const signed = await cli("sign", key.id, "--in", msg, "--out", sig);
      assert.equal(signed.code, 0, signed.stderr);
      assert.equal((await Deno.readFile(sig)).length, 64);
      const ok = await cli("verify", key.id, "--in", msg, "--signature", sig);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /signature valid/);
      const bytes = await Deno.readFile(sig);
      bytes[10] = (bytes[10] ?? 0) ^ 0x01;
      await Deno.writeFile(sig, bytes);
      const bad = await cli("verify", key.id, "--in", msg, "--signature", sig);
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, /signature INVALID/);
      const asJson = await runCliWithInput(["--json", "sign", key.id], "release 1.0", admin);
      assert.equal(asJson.code, 0, asJson.stderr);
      assert.equal(JSON.parse(new TextDecoder().decode(asJson.stdout)).version, 1);

      const ec = await json("key", "create", "--name", "ecdsa", "--algorithm", "EC-P256");
      const raw = await cli("sign", ec.id, "--in", msg, "--out", sig, "--format", "raw");
      assert.equal(raw.code, 0, raw.stderr);
      assert.equal((await Deno.readFile(sig)).length, 64);
      const pem = await cli("key", "public", ec.id);
      assert.match(pem.stdout, /^-----BEGIN PUBLIC KEY-----\n/);
      assert.equal(
        (await cli("verify", ec.id, "--in", msg, "--signature", sig, "--format", "raw")).code,
        0,
      );
    });

    await t.step("destroying a key is approved by a second administrator", async () => {
      const key = await json("key", "create", "--name", "old", "--algorithm", "HMAC-SHA256");
      const requested = await json("key", "destroy", key.id);
      assert.equal(requested.state, "pending");
      const second = {
        FERROHSM_ADDR: server.url,
        FERROHSM_TOKEN: await inst.token("bob", ["Administrator"]),
      };
      const pending = await runCli(["approval", "list", "--state", "pending"], second);
      assert.equal(pending.code, 0, pending.stderr);
      assert.match(
        pending.stdout,
        new RegExp(
          `^${requested.id}\\s+key\\.destroy\\s+${key.id}\\s+alice\\s+0/1\\s+pending`,
          "m",
        ),
      );
      const self = await cli("approval", "approve", requested.id);
      assert.equal(self.code, 1, "the requester cannot approve its own request");
      const approved = await runCli(["approval", "approve", requested.id], second);
      assert.equal(approved.code, 0, approved.stderr);
      assert.match(approved.stdout, /^state\s+executed$/m);
      assert.equal((await json("key", "show", key.id)).state, "destroyed");
      const listed = await json("approval", "list");
      assert.ok(listed.items.some((a: { id: string }) => a.id === requested.id));
    });

    await t.step("audit tail shows the newest entries and follows until the timeout", async () => {
      const tail = await cli("audit", "tail", "--limit", "3");
      assert.equal(tail.code, 0, tail.stderr);
      const lines = tail.stdout.trimEnd().split("\n");
      assert.equal(lines.length, 4);
      assert.match(lines[0] ?? "", /^SEQ\s+TIME\s+ACTOR\s+ACTION\s+KEY\s+RESULT$/);
      const page = await json("audit", "tail", "--after-seq", "0", "--limit", "2");
      assert.deepEqual(page.items.map((e: { seq: number }) => e.seq), [1, 2]);
      const follow = await runCli(
        [
          "--json",
          "audit",
          "tail",
          "--after-seq",
          "1",
          "--limit",
          "1",
          "--follow",
          "--follow-timeout",
          "1",
        ],
        admin,
      );
      assert.equal(follow.code, 0, follow.stderr);
      const entries = follow.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
      assert.equal(entries[0].seq, 2);
      assert.ok(entries.length > 2, "following reads everything after the first page");
      assert.deepEqual(
        entries.map((e: { seq: number }) => e.seq),
        entries.map((_: unknown, i: number) => i + 2),
      );
    });

    await t.step("audit verify --online asks the server", async () => {
      const r = await cli("audit", "verify", "--online");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /audit log intact: \d+ entries/);
    });

    await t.step("health prints the status; metrics prints what the server exposes", async () => {
      const health = await runCli(["health"], { FERROHSM_ADDR: server.url });
      assert.equal(health.code, 0, health.stderr);
      assert.match(health.stdout, /^status\s+ok$/m);
      assert.equal((await json("health")).status, "ok");
      const metrics = await runCli(["metrics"], { FERROHSM_ADDR: server.url });
      if (metrics.code === 0) assert.match(metrics.stdout, /^# (HELP|TYPE) /m);
      else assert.match(metrics.stderr, /not_found: /, "no /metrics endpoint on this server");
    });

    await t.step("HTTP errors exit 1 with the contract error on stderr", async () => {
      const missing = await cli("key", "show", "00000000-0000-4000-8000-000000000000");
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^ferrohsm: not_found: /m);
      const auditor = {
        FERROHSM_ADDR: server.url,
        FERROHSM_TOKEN: await inst.token("carol", ["Auditor"]),
      };
      const forbidden = await runCli(
        ["key", "create", "--name", "x", "--algorithm", "Ed25519"],
        auditor,
      );
      assert.equal(forbidden.code, 1);
      assert.match(forbidden.stderr, /forbidden: /);
    });
  } finally {
    await server.stop();
    await inst.cleanup();
  }
});
