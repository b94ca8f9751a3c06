/**
 * The key-operation commands of `ferrohsm` as subprocesses against a real server:
 * `key import` (an OpenSSL PKCS#8 PEM, hex and raw AES material, a new version),
 * `key update`, `datakey` (plaintext to a 0600 file, which decrypts back), `rewrap`,
 * `key jwks` and `sign-jwt` (verified with jose against the printed JWKS), the usage
 * counters in `key versions`, and the usage errors (exit 2).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createLocalJWKSet, jwtVerify } from "jose";
import { toHex } from "../../src/core/encoding.ts";
import { makeInstallation } from "../../testing/installation.ts";
import { runCli, startServerProcess } from "../../testing/server_process.ts";

const hasOpenssl = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "the CLI imports keys, changes settings, makes data keys, rewraps and signs JWTs",
  ignore: !hasOpenssl,
  async fn(t) {
    const inst = await makeInstallation();
    const server = await startServerProcess(inst.flags(["--key-store", "memory"]));
    try {
      const env = {
        FERROHSM_ADDR: server.url,
        FERROHSM_TOKEN: await inst.token("alice", ["Administrator"]),
      };
      const cli = (...args: string[]) => runCli(args, env);
      const ok = async (...args: string[]) => {
        const r = await cli(...args);
        assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
        return r.stdout;
      };
      const file = (name: string) => join(inst.dir, name);

      let ecId = "";
      let aesId = "";
      await t.step("key import takes an OpenSSL PEM, hex text and raw bytes", async () => {
        const pem = file("ec.pem");
        const gen = await new Deno.Command("openssl", {
          args: ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", pem],
        }).output();
        assert.ok(gen.success);
        const ec = await ok("key", "import", pem, "--algorithm", "EC-P256", "--name", "byok-ec");
        assert.match(ec, /^origin\s+imported$/m);
        ecId = /^id\s+(\S+)$/m.exec(ec)?.[1] ?? "";
        const hex = file("aes.hex");
        await Deno.writeTextFile(hex, toHex(crypto.getRandomValues(new Uint8Array(32))) + "\n");
        const aes = JSON.parse(
          await ok(
            "--json",
            "key",
            "import",
            hex,
            "--hex",
            "--algorithm",
            "AES-256-GCM",
            "--name",
            "byok-aes",
            "--tag",
            "env=test",
          ),
        );
        assert.deepEqual([aes.origin, aes.tags], ["imported", { env: "test" }]);
        aesId = aes.id;
        const raw = file("aes.bin");
        await Deno.writeFile(raw, crypto.getRandomValues(new Uint8Array(32)));
        const v2 = await ok("key", "import", raw, "--algorithm", "AES-256-GCM", "--key-id", aesId);
        assert.match(v2, /^version\s+2$/m);
        const short = file("short.bin");
        await Deno.writeFile(short, new Uint8Array(16));
        const refused = await cli(
          "key",
          "import",
          short,
          "--algorithm",
          "AES-256-GCM",
          "--name",
          "x",
        );
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /invalid_request: Invalid key material/);
      });

      await t.step("key update sets a rotation period, tags and the minimum version", async () => {
        const out = await ok(
          "key",
          "update",
          aesId,
          "--rotation-period",
          "P30D",
          "--tag",
          "env=prod",
        );
        assert.match(out, /^rotation period\s+P30D$/m);
        assert.match(out, /^tags\s+env=prod$/m);
        const cleared = JSON.parse(
          await ok("--json", "key", "update", aesId, "--rotation-period", "none"),
        );
        assert.equal(cleared.rotation_period, undefined);
      });

      await t.step(
        "datakey writes the plaintext key to a 0600 file that decrypts back",
        async () => {
          const keyOut = file("dk.bin");
          const out = await ok("datakey", aesId, "--bits", "128", "--key-out", keyOut);
          assert.doesNotMatch(out, /plaintext/);
          const ciphertext = /^ciphertext\s+(\S+)$/m.exec(out)?.[1] ?? "";
          assert.match(ciphertext, /^fhsm:v2:/);
          const bytes = await Deno.readFile(keyOut);
          assert.equal(bytes.length, 16);
          assert.equal(((await Deno.stat(keyOut)).mode ?? 0) & 0o777, 0o600);
          await Deno.writeTextFile(file("dk.ct"), ciphertext);
          await ok("decrypt", aesId, "--in", file("dk.ct"), "--out", file("dk.back"));
          assert.deepEqual(await Deno.readFile(file("dk.back")), bytes);
          const shown = await ok("datakey", aesId);
          assert.match(shown, /^plaintext\s+[A-Za-z0-9+/=]{44}$/m);
          const hidden = await ok("datakey", aesId, "--no-plaintext");
          assert.doesNotMatch(hidden, /plaintext/);
        },
      );

      await t.step("rewrap moves a ciphertext to the current version", async () => {
        await ok("key", "rotate", aesId);
        await ok("rewrap", aesId, "--in", file("dk.ct"), "--out", file("dk.v3"));
        assert.match(await Deno.readTextFile(file("dk.v3")), /^fhsm:v3:/);
        await ok("key", "update", aesId, "--min-decryption-version", "3");
        const retired = await cli("rewrap", aesId, "--in", file("dk.ct"));
        assert.equal(retired.code, 1);
        assert.match(retired.stderr, /invalid_state: .*retired/);
        const versions = await ok("key", "versions", aesId);
        assert.match(versions, /^VERSION\s+STATE\s+CREATED\s+FROM\s+OPERATIONS/);
        assert.match(versions, /^2\s+revoked\s+\S+\s+\d+$/m);
      });

      await t.step("key jwks and sign-jwt give a token jose verifies", async () => {
        const jwks = JSON.parse(await ok("key", "jwks", ecId));
        assert.equal(jwks.keys[0].kid, `${ecId}.1`);
        const token = (await ok("sign-jwt", ecId, "--claims", '{"sub":"cli","aud":"x"}')).trim();
        const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { audience: "x" });
        assert.equal(payload.sub, "cli");
        await Deno.writeTextFile(file("claims.json"), '{"sub":"file"}');
        const fromFile = (await ok("sign-jwt", ecId, "--claims-file", file("claims.json"))).trim();
        assert.equal((await jwtVerify(fromFile, createLocalJWKSet(jwks))).payload.sub, "file");
      });

      await t.step("usage errors exit 2", async () => {
        const cases = [
          ["key", "import", file("aes.bin"), "--algorithm", "AES-256-GCM"],
          [
            "key",
            "import",
            file("aes.bin"),
            "--algorithm",
            "AES-256-GCM",
            "--name",
            "a",
            "--key-id",
            "b",
          ],
          ["key", "update", aesId],
          ["sign-jwt", ecId],
          ["sign-jwt", ecId, "--claims", "[1]"],
          ["sign-jwt", ecId, "--claims", "{}", "--alg", "HS256"],
          ["datakey", aesId, "--bits", "512"],
        ];
        for (const args of cases) {
          const r = await cli(...args);
          assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
        }
        const traditional = file("trad.pem");
        await Deno.writeTextFile(
          traditional,
          "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
        );
        const r = await cli("key", "import", traditional, "--algorithm", "EC-P256", "--name", "t");
        assert.equal(r.code, 2);
        assert.match(r.stderr, /openssl pkcs8 -topk8 -nocrypt/);
      });
    } finally {
      await server.stop();
      await inst.cleanup();
    }
  },
});
