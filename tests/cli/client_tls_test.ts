/**
 * The CLI against a TLS server: `--ca` trusts the operator's certificate, an untrusted
 * certificate is refused (exit 1), and `--cert/--key` present a client certificate
 * through `Deno.createHttpClient` (this server does not ask for one; mtls_test.ts covers
 * a server that requires it).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { makeInstallation } from "../../testing/installation.ts";
import { runCli, startServerProcess } from "../../testing/server_process.ts";

const hasOpenssl = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "the CLI trusts a TLS server through --ca and refuses it without",
  ignore: !hasOpenssl,
  async fn() {
    const inst = await makeInstallation();
    const cert = join(inst.dir, "cert.pem");
    const key = join(inst.dir, "key.pem");
    const gen = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        // rustls refuses a CA certificate used as the server's own (CaUsedAsEndEntity).
        "-addext",
        "basicConstraints=critical,CA:FALSE",
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    assert.ok(gen.success);
    const server = await startServerProcess(inst.flags(["--tls-cert", cert, "--tls-key", key]));
    try {
      const env = {
        FERROHSM_ADDR: server.url,
        FERROHSM_TOKEN: await inst.token("alice", ["Administrator"]),
      };
      const trusted = await runCli(["--ca", cert, "--json", "key", "list"], env);
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.equal(JSON.parse(trusted.stdout).total, 0);
      const withClientCert = await runCli(
        ["--ca", cert, "--cert", cert, "--key", key, "health"],
        env,
      );
      assert.equal(withClientCert.code, 0, withClientCert.stderr);
      const untrusted = await runCli(["key", "list"], env);
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.stderr, /unreachable: Cannot reach https:/);
    } finally {
      await server.stop();
      await inst.cleanup();
    }
  },
});
