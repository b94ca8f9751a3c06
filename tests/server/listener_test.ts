/**
 * Slow clients against the real server (launched as operators run it, default limits):
 * on the plain HTTP listener, the TLS listener and the mutual-TLS listener, a raw client
 * that sends part of a request, or connects and sends nothing, is disconnected within
 * the 10 s header timeout; connections beyond the bound (`--max-concurrent` +
 * `--max-queue` + 64) are closed as soon as they are accepted.
 */

import assert from "node:assert/strict";
import { type Installation, makeInstallation } from "../../testing/installation.ts";
import { hasOpenssl, makePki, type TestPki } from "../../testing/pki.ts";
import { type ServerProcess, startServerProcess } from "../../testing/server_process.ts";

/** The default header timeout is 10 s, checked every second: allow some slack. */
const DISCONNECT_WITHIN_MS = 15_000;
const PARTIAL = "GET /api/v1/keys HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bea";

/** Reads until the peer closes (or `maxMs` passes); returns how long that took. */
async function waitForClose(conn: Deno.Conn, maxMs: number): Promise<number | undefined> {
  const started = performance.now();
  const timer = setTimeout(() => conn.close(), maxMs);
  let closedByPeer = false;
  try {
    const buf = new Uint8Array(4096);
    for (;;) {
      if ((await conn.read(buf)) === null) {
        closedByPeer = true;
        break;
      }
    }
  } catch {
    // a reset by the peer also ends the connection; our own timer closes with BadResource
    closedByPeer = performance.now() - started < maxMs - 50;
  } finally {
    clearTimeout(timer);
  }
  try {
    conn.close();
  } catch {
    // already closed
  }
  return closedByPeer ? performance.now() - started : undefined;
}

async function partialRequest(connect: () => Promise<Deno.Conn>): Promise<number | undefined> {
  const conn = await connect();
  await conn.write(new TextEncoder().encode(PARTIAL));
  return await waitForClose(conn, DISCONNECT_WITHIN_MS);
}

async function silent(connect: () => Promise<Deno.Conn>): Promise<number | undefined> {
  return await waitForClose(await connect(), DISCONNECT_WITHIN_MS);
}

function tcp(server: ServerProcess): () => Promise<Deno.Conn> {
  const port = Number(new URL(server.url).port);
  return () => Deno.connect({ hostname: "127.0.0.1", port });
}

Deno.test({
  name: "slow clients are disconnected within the header timeout on every listener",
  ignore: !hasOpenssl,
  async fn() {
    const inst: Installation = await makeInstallation();
    const pki: TestPki = await makePki(inst.dir);
    const tlsFlags = ["--tls-cert", pki.server.cert, "--tls-key", pki.server.key];
    const servers: ServerProcess[] = [];
    try {
      const plain = await startServerProcess(inst.flags(["--listen", "127.0.0.1:0"]));
      servers.push(plain);
      const tlsInst = await makeInstallation();
      const tls = await startServerProcess(tlsInst.flags(["--listen", "127.0.0.1:0", ...tlsFlags]));
      servers.push(tls);
      const mtlsInst = await makeInstallation();
      const mtls = await startServerProcess(
        mtlsInst.flags(["--listen", "127.0.0.1:0", ...tlsFlags, "--tls-client-ca", pki.ca]),
      );
      servers.push(mtls);
      const ca = await Deno.readTextFile(pki.ca);
      const tlsConnect = (server: ServerProcess, client = false) => async () => {
        const port = Number(new URL(server.url).port);
        return await Deno.connectTls({
          hostname: "127.0.0.1",
          port,
          caCerts: [ca],
          ...(client
            ? {
              cert: await Deno.readTextFile(pki.client1.cert),
              key: await Deno.readTextFile(pki.client1.key),
            }
            : {}),
        });
      };
      const results = await Promise.all([
        partialRequest(tcp(plain)),
        silent(tcp(plain)),
        partialRequest(tlsConnect(tls)),
        silent(tcp(tls)),
        partialRequest(tlsConnect(mtls, true)),
        silent(tcp(mtls)),
      ]);
      const names = [
        "http partial request",
        "http silent",
        "https partial request",
        "https silent (no handshake)",
        "mutual TLS partial request",
        "mutual TLS silent (no handshake)",
      ];
      results.forEach((ms, i) => {
        assert.ok(
          ms !== undefined,
          `${names[i]}: still connected after ${DISCONNECT_WITHIN_MS} ms`,
        );
      });
      // The servers are still healthy for everyone else.
      for (const server of [plain, tls]) {
        const client = server === tls ? Deno.createHttpClient({ caCerts: [ca] }) : undefined;
        const res = await fetch(`${server.url}/readyz`, client === undefined ? {} : { client });
        assert.equal(res.status, 200);
        await res.body?.cancel();
        client?.close();
      }
      await tlsInst.cleanup();
      await mtlsInst.cleanup();
    } finally {
      for (const s of servers) await s.stop();
      await inst.cleanup();
    }
  },
});

Deno.test("connections beyond the bound are closed as soon as they are accepted", async () => {
  const inst = await makeInstallation();
  // Bound: 1 running + 0 queued + 64 headroom = 65 connections.
  const server = await startServerProcess(
    inst.flags(["--listen", "127.0.0.1:0", "--max-concurrent", "1", "--max-queue", "0"]),
  );
  const conns: Deno.Conn[] = [];
  try {
    const connect = tcp(server);
    for (let i = 0; i < 75; i++) conns.push(await connect());
    // Admitted connections stay open for the 10 s header timeout; refused ones close at once.
    const closed = await Promise.all(conns.map((c) => waitForClose(c, 5000)));
    const refused = closed.filter((ms) => ms !== undefined).length;
    assert.ok(refused >= 10, `${refused} of 75 connections closed at once`);
    assert.ok(refused <= 11, `${refused} of 75 connections closed at once`);
    // Once the server has seen the held connections close, it serves again.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await fetch(`${server.url}/readyz`).then(async (res) => {
        await res.body?.cancel();
        return res.status;
      }, () => 0);
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status, 200, "the server serves again once connections are gone");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const counted = Number(/^ferrohsm_connections_refused_total (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(counted >= refused, `${counted} counted, ${refused} seen`);
  } finally {
    await server.stop();
    await inst.cleanup();
  }
});
