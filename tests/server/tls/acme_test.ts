/**
 * ACME end to end against Debian's `pebble` (a test ACME CA; real http-01 validation:
 * pebble resolves `localhost` and fetches the token from the server's responder on
 * 127.0.0.1). The real server, started through the launcher with its derived
 * permissions, obtains its certificate before listening, serves it (a handshake
 * validated against pebble's root), renews it on SIGHUP and serves the new one without a
 * restart, and a restart reuses the cached certificate. Pebble puts an OCSP URL in its
 * certificates but serves no OCSP, so `openssl ocsp` answers with pebble's intermediate
 * key; the restarted server reads `good`. Skipped without `pebble`.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { makeInstallation } from "../../../testing/installation.ts";
import { hasOpenssl, makePki } from "../../../testing/pki.ts";
import { startOcspResponder } from "../../../testing/ocsp_pki.ts";
import { readResponse, startServerProcess } from "../../../testing/server_process.ts";
import { bare, handshake, nextSerial } from "./_handshake.ts";

const hasPebble = await new Deno.Command("pebble", { args: ["-h"], stdout: "null", stderr: "null" })
  .output().then(() => true, () => false);
if (!hasPebble) {
  // deno-lint-ignore no-console -- tell the runner why the test is skipped
  console.warn("acme_test: pebble not found (apt-get install -y pebble); skipping");
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

interface Pebble {
  readonly directory: string;
  readonly management: string;
  stop(): Promise<void>;
}

async function startPebble(dir: string, httpPort: number, ocspUrl: string): Promise<Pebble> {
  const pki = await makePki(dir);
  const acmePort = freePort();
  const mgmtPort = freePort();
  const config = join(dir, "pebble.json");
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${mgmtPort}`,
        certificate: pki.server.cert,
        privateKey: pki.server.key,
        httpPort,
        tlsPort: freePort(),
        ocspResponderURL: ocspUrl,
        externalAccountBindingRequired: false,
      },
    }),
  );
  const child = new Deno.Command("pebble", {
    args: ["-config", config],
    env: { PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0" },
    stdout: "null",
    stderr: "null",
  }).spawn();
  // Pebble generates its root and intermediate RSA keys first: allow it 30 s on a busy host.
  let ready = false;
  for (let i = 0; i < 1200 && !ready; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port: acmePort })).close();
      ready = true;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  if (!ready) {
    child.kill("SIGKILL");
    await child.status;
    throw new Error("pebble did not start");
  }
  return {
    directory: `https://127.0.0.1:${acmePort}/dir`,
    management: `https://127.0.0.1:${mgmtPort}`,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

Deno.test({
  name: "ACME: issued by pebble before listening, renewed on SIGHUP without a restart, cached",
  ignore: !hasPebble || !hasOpenssl,
  fn: async () => {
    const inst = await makeInstallation();
    const pebbleDir = await Deno.makeTempDir({ dir: inst.dir });
    const httpPort = freePort();
    const ocspPort = freePort();
    const pebble = await startPebble(pebbleDir, httpPort, `http://127.0.0.1:${ocspPort}/`);
    const pebbleCa = join(pebbleDir, "ca.pem");
    const port = freePort();
    const cacheDir = join(inst.dir, "acme");
    const flags = inst.flags([
      "--acme-directory",
      pebble.directory,
      "--acme-domain",
      "localhost",
      "--acme-email",
      "ops@example.com",
      "--acme-cache-dir",
      cacheDir,
      "--acme-ca",
      pebbleCa,
      "--acme-http-listen",
      `127.0.0.1:${httpPort}`,
    ]).map((f) => f === "127.0.0.1:0" ? `127.0.0.1:${port}` : f);
    const mgmt = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(pebbleCa)] });
    let server = await startServerProcess(flags);
    let client: Deno.HttpClient | undefined;
    let responder: { stop(): Promise<void> } | undefined;
    try {
      // Trust only pebble's (per-run) root, as a client of this deployment would.
      const root = await (await fetch(`${pebble.management}/roots/0`, { client: mgmt })).text();
      client = Deno.createHttpClient({ caCerts: [root] });
      const url = `https://localhost:${port}`;
      const headers = { Authorization: `Bearer ${await inst.token("ops", ["Administrator"])}` };
      const h1 = await readResponse(await fetch(`${url}/healthz`, { client, headers }));
      assert.equal(h1.status, 200);
      assert.equal(h1.body.tls.acme.renewals, 1);
      // The first certificate's OCSP responder was unknown at launch: not permitted yet.
      assert.equal(h1.body.tls.ocsp.status, "unavailable");
      const first = (await handshake(port)).serial;
      assert.equal(bare(first), bare(h1.body.tls.serial));

      Deno.kill(server.serverPid, "SIGHUP");
      const second = await nextSerial(port, first);
      const h2 = await readResponse(await fetch(`${url}/healthz`, { client, headers }));
      assert.equal(bare(h2.body.tls.serial), bare(second));
      assert.equal(h2.body.tls.acme.renewals, 2);
      assert.equal(h2.body.tls.reloads, 1);
      const metrics = await (await fetch(`${url}/metrics`, { client })).text();
      assert.match(metrics, /ferrohsm_acme_renewals_total 2/);

      // Pebble serves no OCSP: `openssl ocsp` answers for its intermediate CA instead.
      const get = async (path: string) =>
        await (await fetch(`${pebble.management}${path}`, { client: mgmt })).text();
      const ca = {
        dir: pebbleDir,
        caCert: join(pebbleDir, "intermediate.pem"),
        caKey: join(pebbleDir, "intermediate.key"),
        index: join(pebbleDir, "index.txt"),
        ocspUrl: `http://127.0.0.1:${ocspPort}/`,
      };
      await Deno.writeTextFile(ca.caCert, await get("/intermediates/0"));
      await Deno.writeTextFile(ca.caKey, await get("/intermediate-keys/0"), { mode: 0o600 });
      await Deno.writeTextFile(
        ca.index,
        `V\t301231235959Z\t\t${h2.body.tls.serial}\tunknown\t/CN=localhost\n`,
      );
      responder = await startOcspResponder(ca, ocspPort);

      // A restart reuses the cached certificate and key (no new order), and the launcher
      // now grants the responder named in it.
      assert.equal(await server.stop(), 0);
      server = await startServerProcess(flags);
      let h3 = await readResponse(await fetch(`${url}/healthz`, { client, headers }));
      for (let i = 0; i < 100 && h3.body.tls.ocsp.status !== "good"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        h3 = await readResponse(await fetch(`${url}/healthz`, { client, headers }));
      }
      assert.equal(bare(h3.body.tls.serial), bare(second));
      assert.equal(h3.body.tls.acme.renewals, 0);
      assert.equal(h3.body.tls.ocsp.status, "good", JSON.stringify(h3.body.tls.ocsp));
      const mode = (await Deno.stat(join(cacheDir, "key.pem"))).mode ?? 0;
      assert.equal(mode & 0o077, 0);
    } finally {
      client?.close();
      mgmt.close();
      await server.stop();
      await responder?.stop();
      await pebble.stop();
      await inst.cleanup();
    }
  },
});
