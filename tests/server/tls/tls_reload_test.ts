/**
 * Certificate hot reload on the real server (through the launcher, with its derived
 * permissions): `--tls-cert/--tls-key` files replaced on disk are served to new
 * handshakes without a restart, a mismatched pair is refused while the old certificate
 * keeps serving, SIGHUP reloads at once, and the OCSP status fetched from an `openssl
 * ocsp` responder shows in /healthz and /metrics. Also records that nothing is stapled.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { makeInstallation } from "../../../testing/installation.ts";
import { hasOpenssl } from "../../../testing/pki.ts";
import { issueLeaf, makeOcspCa, startOcspResponder } from "../../../testing/ocsp_pki.ts";
import { readResponse, startServerProcess } from "../../../testing/server_process.ts";
import { handshake, nextSerial } from "./_handshake.ts";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Replaces `path` atomically, as an operator's deploy step would. */
async function replace(path: string, from: string): Promise<void> {
  await Deno.copyFile(from, `${path}.new`);
  await Deno.rename(`${path}.new`, path);
}

Deno.test({
  name: "changed certificate files are served without a restart, with their OCSP status",
  ignore: !hasOpenssl,
  fn: async () => {
    const inst = await makeInstallation();
    const ocspPort = freePort();
    const ca = await makeOcspCa(inst.dir, `http://127.0.0.1:${ocspPort}/`);
    const first = await issueLeaf(ca, "first");
    const second = await issueLeaf(ca, "second");
    const third = await issueLeaf(ca, "third");
    const certFile = join(inst.dir, "tls.crt");
    const keyFile = join(inst.dir, "tls.key");
    await Deno.copyFile(first.chain, certFile);
    await Deno.copyFile(first.key, keyFile);
    const responder = await startOcspResponder(ca, ocspPort);
    const port = freePort();
    const server = await startServerProcess(
      inst.flags(["--tls-cert", certFile, "--tls-key", keyFile, "--tls-reload-interval", "1"])
        .map((f) => f === "127.0.0.1:0" ? `127.0.0.1:${port}` : f),
    );
    const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(ca.caCert)] });
    // The TLS detail of /healthz needs a token granting metrics:read.
    const token = await inst.token("ops", ["Administrator"]);
    const health = async () =>
      (await readResponse(
        await fetch(`${server.url}/healthz`, {
          client,
          headers: { Authorization: `Bearer ${token}` },
        }),
      )).body;
    try {
      const served = await handshake(port);
      assert.equal(served.serial, first.serial);
      // Deno's TLS (rustls behind node:https here) sends no OCSP response: no stapling.
      assert.equal(served.ocsp, "no response sent");
      for (let i = 0; i < 100 && (await health()).tls?.ocsp?.status !== "good"; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const h1 = await health();
      assert.equal(h1.tls.ocsp.status, "good", JSON.stringify(h1.tls));
      assert.equal(h1.tls.serial, first.serial);
      assert.equal(h1.tls.hot_reload, true);
      const open = (await readResponse(await fetch(`${server.url}/healthz`, { client }))).body;
      // Anonymous callers see status and uptime only (the certificate is detail).
      assert.equal(open.tls, undefined);

      // New files: picked up by the poll, OCSP follows the new certificate.
      await replace(keyFile, second.key);
      await replace(certFile, second.chain);
      assert.equal(await nextSerial(port, first.serial), second.serial);
      for (let i = 0; i < 100 && (await health()).tls?.ocsp?.status !== "good"; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const h2 = await health();
      assert.equal(h2.tls.serial, second.serial);
      assert.equal(h2.tls.reloads, 1);
      assert.equal(h2.tls.ocsp.status, "good");

      // A certificate whose key does not match: refused, the old one keeps serving.
      await replace(certFile, third.chain);
      for (let i = 0; i < 50; i++) {
        const metrics = await (await fetch(`${server.url}/metrics`, { client })).text();
        if (/ferrohsm_tls_certificate_reload_failures_total [1-9]/.test(metrics)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal((await handshake(port)).serial, second.serial);
      const metrics = await (await fetch(`${server.url}/metrics`, { client })).text();
      assert.match(metrics, /ferrohsm_tls_certificate_reload_failures_total [1-9]/);
      assert.match(metrics, /ferrohsm_ocsp_status\{status="good"\} 1/);
      assert.match(metrics, /ferrohsm_tls_certificate_not_after_seconds \d+/);

      // SIGHUP reloads at once once the key is there too.
      await replace(keyFile, third.key);
      Deno.kill(server.serverPid, "SIGHUP");
      assert.equal(await nextSerial(port, second.serial), third.serial);
    } finally {
      client.close();
      await server.stop();
      await responder.stop();
      await inst.cleanup();
    }
  },
});
