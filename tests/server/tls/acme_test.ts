/**
 * ACME end to end against Debian's `pebble` (a test ACME CA; real http-01 validation:
 * pebble resolves `localhost` and fetches the token from the server's responder on
 * 127.0.0.1). The real server, started through the launcher with its derived
 * permissions, obtains its certificate before listening, serves it (a handshake
 * validated against pebble's root), renews it on SIGHUP and serves the new one without a
 * restart, and a restart reuses the cached certificate. Skipped without `pebble`.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { makeInstallation } from "../../../testing/installation.ts";
import { hasOpenssl, makePki } from "../../../testing/pki.ts";
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

async function startPebble(dir: string, httpPort: number): Promise<Pebble> {
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
        ocspResponderURL: "",
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
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port: acmePort })).close();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
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
    const pebble = await startPebble(pebbleDir, httpPort);
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
    try {
      // Trust only pebble's (per-run) root, as a client of this deployment would.
      const root = await (await fetch(`${pebble.management}/roots/0`, { client: mgmt })).text();
      client = Deno.createHttpClient({ caCerts: [root] });
      const url = `https://localhost:${port}`;
      const h1 = await readResponse(await fetch(`${url}/healthz`, { client }));
      assert.equal(h1.status, 200);
      assert.equal(h1.body.tls.acme.renewals, 1);
      const first = (await handshake(port)).serial;
      assert.equal(first, bare(h1.body.tls.serial));

      Deno.kill(server.serverPid, "SIGHUP");
      const second = await nextSerial(port, first);
      const h2 = await readResponse(await fetch(`${url}/healthz`, { client }));
      assert.equal(bare(h2.body.tls.serial), second);
      assert.equal(h2.body.tls.acme.renewals, 2);
      assert.equal(h2.body.tls.reloads, 1);
      const metrics = await (await fetch(`${url}/metrics`, { client })).text();
      assert.match(metrics, /ferrohsm_acme_renewals_total 2/);

      // A restart reuses the cached certificate and key (no new order).
      assert.equal(await server.stop(), 0);
      server = await startServerProcess(flags);
      const h3 = await readResponse(await fetch(`${url}/healthz`, { client }));
      assert.equal(bare(h3.body.tls.serial), second);
      assert.equal(h3.body.tls.acme.renewals, 0);
      const mode = (await Deno.stat(join(cacheDir, "key.pem"))).mode ?? 0;
      assert.equal(mode & 0o077, 0);
    } finally {
      client?.close();
      mgmt.close();
      await server.stop();
      await pebble.stop();
      await inst.cleanup();
    }
  },
});
