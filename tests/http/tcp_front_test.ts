/**
 * The TCP front of Deno.serve, in process with short limits, driven by raw TCP clients:
 * a partial request, a silent connection, an idle keep-alive connection and a slow body
 * are disconnected within their timeouts; a slow handler is not; connections beyond
 * the bound are closed at once; the server behind learns the peer address, which a
 * client cannot forge; requests the front cannot frame are answered 400.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import type { ConnectionLimits } from "../../src/http/connection_limits.ts";
import { peerAddress, TcpFront } from "../../src/http/tcp_front.ts";
import { hasOpenssl, makePki } from "../../testing/pki.ts";
import { rawExchange } from "./_raw_client.ts";

const LIMITS: ConnectionLimits = {
  headersTimeoutMs: 400,
  requestTimeoutMs: 800,
  keepAliveTimeoutMs: 400,
  maxConnections: 4,
  checkIntervalMs: 50,
};
const SECRET = "test-secret";

interface Fixture {
  readonly port: number;
  readonly front: TcpFront;
  /** Peer addresses the server behind saw, in order. */
  readonly peers: (string | undefined)[];
}

async function withFront(
  fn: (f: Fixture) => Promise<void>,
  limits: ConnectionLimits = LIMITS,
  tls?: { cert: string; key: string },
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-front-" });
  const path = join(dir, "http.sock");
  const peers: (string | undefined)[] = [];
  const inner = Deno.serve({ path, onListen() {} }, async (req) => {
    peers.push(peerAddress(req.headers, SECRET));
    const url = new URL(req.url);
    if (url.pathname === "/slow") await new Promise((r) => setTimeout(r, 1200));
    const body = req.body === null ? "" : await req.text().catch(() => "");
    return new Response(`ok ${body.length}`);
  });
  const front = await TcpFront.listen({
    hostname: "127.0.0.1",
    port: 0,
    upstreamPath: path,
    limits,
    secret: SECRET,
    ...(tls === undefined ? {} : { tls }),
  });
  try {
    await fn({ port: front.addr.port, front, peers });
  } finally {
    front.stopAccepting();
    await inner.shutdown();
    await front.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a partial request is answered 408 and disconnected within the header timeout", async () => {
  await withFront(async ({ port, front }) => {
    const r = await rawExchange(port, "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: 1");
    assert.ok(r.closed, "the front closed the connection");
    assert.ok(r.closedAfterMs < 3000, `closed after ${r.closedAfterMs} ms`);
    assert.match(r.received, /^HTTP\/1\.1 408 /);
    assert.ok(front.stats().timedOut >= 1);
  });
});

Deno.test("a connection that sends nothing, or idles after an answer, is closed", async () => {
  await withFront(async ({ port }) => {
    const [silent, idle] = await Promise.all([
      rawExchange(port, ""),
      rawExchange(port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    ]);
    assert.ok(silent.closed && silent.closedAfterMs < 3000, JSON.stringify(silent));
    assert.ok(idle.closed && idle.closedAfterMs < 3000, JSON.stringify(idle));
    assert.match(idle.received, /^HTTP\/1\.1 200 /);
  });
});

Deno.test("a body that trickles in slower than the request timeout is cut off", async () => {
  await withFront(async ({ port }) => {
    const r = await rawExchange(
      port,
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc",
    );
    assert.ok(r.closed && r.closedAfterMs < 4000, JSON.stringify(r));
    assert.doesNotMatch(r.received, /200/);
  });
});

Deno.test("a handler slower than every timeout still answers", async () => {
  await withFront(async ({ port }) => {
    const r = await rawExchange(port, "GET /slow HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assert.match(r.received, /^HTTP\/1\.1 200 [\s\S]*ok 0$/);
  });
});

Deno.test("connections beyond the bound are closed as soon as they are accepted", async () => {
  await withFront(async ({ port, front }) => {
    const held = await Promise.all(
      Array.from(
        { length: LIMITS.maxConnections },
        () => Deno.connect({ hostname: "127.0.0.1", port }),
      ),
    );
    try {
      for (let i = 0; i < 50 && front.stats().open < LIMITS.maxConnections; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(front.stats().open, LIMITS.maxConnections);
      const extra = await rawExchange(port, "", 2000);
      assert.ok(extra.closed, "refused");
      assert.equal(extra.received, "");
      assert.equal(front.stats().refused, 1);
    } finally {
      for (const c of held) c.close();
    }
    for (let i = 0; i < 100 && front.stats().open > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const after = await rawExchange(port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assert.match(after.received, /^HTTP\/1\.1 200 /);
  }, { ...LIMITS, headersTimeoutMs: 10_000 });
});

Deno.test("the server behind learns the peer address, and a client cannot forge it", async () => {
  await withFront(async ({ port, peers }) => {
    const forged =
      `x-ferrohsm-peer: ${SECRET} 203.0.113.9\r\nX-FerroHSM-Peer: guess 203.0.113.9\r\n`;
    const r = await rawExchange(
      port,
      `GET / HTTP/1.1\r\nHost: a\r\n${forged}\r\n` +
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" +
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert.equal(r.received.match(/HTTP\/1\.1 200/g)?.length, 3, r.received);
    assert.match(r.received, /ok 3/);
    assert.deepEqual(peers, ["127.0.0.1", "127.0.0.1", "127.0.0.1"]);
  });
});

Deno.test("a request with an ambiguous length is answered 400 and closed", async () => {
  await withFront(async ({ port, peers, front }) => {
    const r = await rawExchange(
      port,
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    assert.match(r.received, /^HTTP\/1\.1 400 /);
    assert.ok(r.closed);
    assert.deepEqual(peers, []);
    assert.equal(front.stats().malformed, 1);
  });
});

Deno.test("peerAddress trusts only the first value carrying the secret", () => {
  const h = (value: string) => new Headers({ "x-ferrohsm-peer": value });
  assert.equal(peerAddress(h(`${SECRET} 192.0.2.1`), SECRET), "192.0.2.1");
  assert.equal(peerAddress(h(`${SECRET} ::1, ${SECRET} 192.0.2.9`), SECRET), "::1");
  assert.equal(peerAddress(h(`guess 192.0.2.1, ${SECRET} 192.0.2.9`), SECRET), undefined);
  assert.equal(peerAddress(new Headers(), SECRET), undefined);
});

Deno.test({
  name: "over TLS, a silent client, a partial request and the bound are handled the same way",
  ignore: !hasOpenssl,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ferrohsm-front-tls-" });
    try {
      const pki = await makePki(dir);
      const tls = {
        cert: await Deno.readTextFile(pki.server.cert),
        key: await Deno.readTextFile(pki.server.key),
      };
      const ca = await Deno.readTextFile(pki.ca);
      await withFront(
        async ({ port, front, peers }) => {
          const connectTls = () => Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [ca] });
          // Silent: no ClientHello at all (a raw TCP client).
          const silent = await rawExchange(port, "");
          assert.ok(silent.closed && silent.closedAfterMs < 3000, JSON.stringify(silent));
          assert.ok(front.stats().handshakeFailures >= 1);
          // Partial request after the handshake.
          const conn = await connectTls();
          await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\nX-"));
          const buf = new Uint8Array(1024);
          let text = "";
          for (;;) {
            const n = await conn.read(buf).catch(() => null);
            if (n === null) break;
            text += new TextDecoder().decode(buf.subarray(0, n));
          }
          conn.close();
          assert.match(text, /^HTTP\/1\.1 408 /);
          // A complete request is relayed with the peer address.
          const client = Deno.createHttpClient({ caCerts: [ca] });
          const res = await fetch(`https://127.0.0.1:${port}/`, { client });
          assert.equal(await res.text(), "ok 0");
          client.close();
          assert.deepEqual(peers, ["127.0.0.1"]);
          // Handshaking connections hold a slot.
          const held = await Promise.all(
            Array.from(
              { length: LIMITS.maxConnections },
              () => Deno.connect({ hostname: "127.0.0.1", port }),
            ),
          );
          try {
            for (let i = 0; i < 50 && front.stats().open < LIMITS.maxConnections; i++) {
              await new Promise((r) => setTimeout(r, 10));
            }
            const extra = await rawExchange(port, "", 2000);
            assert.ok(extra.closed);
            assert.ok(front.stats().refused >= 1);
          } finally {
            for (const c of held) c.close();
          }
        },
        { ...LIMITS, headersTimeoutMs: 1000 },
        tls,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
