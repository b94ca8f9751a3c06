/**
 * TLS: with `--tls-cert/--tls-key` the server announces `https://` and serves the API
 * over TLS with the operator's certificate (generated here with openssl).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { makeInstallation } from "../../testing/installation.ts";
import { startServerProcess } from "../../testing/server_process.ts";

const hasOpenssl = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "the server speaks TLS with the configured certificate",
  ignore: !hasOpenssl,
  async fn() {
    const inst = await makeInstallation();
    const at = (name: string) => join(inst.dir, name);
    const cert = at("cert.pem"), key = at("key.pem");
    const ext = at("leaf.ext");
    await Deno.writeTextFile(
      ext,
      "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    );
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    for (
      const args of [
        [
          "req",
          "-x509",
          ...ec,
          "-keyout",
          at("ca.key"),
          "-out",
          at("ca.pem"),
          "-days",
          "1",
          "-subj",
          "/CN=test CA",
        ],
        ["req", ...ec, "-keyout", key, "-out", at("leaf.csr"), "-subj", "/CN=localhost"],
        [
          "x509",
          "-req",
          "-in",
          at("leaf.csr"),
          "-CA",
          at("ca.pem"),
          "-CAkey",
          at("ca.key"),
          "-CAcreateserial",
          "-out",
          cert,
          "-days",
          "1",
          "-extfile",
          ext,
        ],
      ]
    ) {
      const out = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" })
        .output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
    }
    const server = await startServerProcess(inst.flags(["--tls-cert", cert, "--tls-key", key]));
    const httpClient = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(at("ca.pem"))] });
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const token = await inst.token("alice", ["Administrator"]);
      const res = await fetch(`${server.url}/api/v1/keys`, {
        method: "POST",
        client: httpClient,
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ name: "tls", algorithm: "Ed25519" }),
      });
      assert.equal(res.status, 201);
      await res.body?.cancel();
      // A client that does not trust the certificate is refused by TLS itself.
      await assert.rejects(fetch(`${server.url}/healthz`));
    } finally {
      httpClient.close();
      await server.stop();
      await inst.cleanup();
    }
  },
});
