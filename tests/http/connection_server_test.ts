/**
 * Plain HTTP served connection by connection, in process with short limits, driven by
 * raw TCP clients: a partial request, a silent connection, an idle keep-alive
 * connection and a slow body are closed within their timeouts; a slow handler without
 * a body is not; connections beyond the bound are closed at once; the handler sees the
 * peer address; a client resetting its connection does not disturb the server.
 */

import assert from "node:assert/strict";
import type { ConnectionLimits } from "../../src/http/connection_limits.ts";
import {
  type ConnectionServer,
  connectionServerAvailable,
  serveConnections,
} from "../../src/http/connection_server.ts";
import { rawExchange } from "./_raw_client.ts";

const LIMITS: ConnectionLimits = {
  headersTimeoutMs: 400,
  requestTimeoutMs: 800,
  keepAliveTimeoutMs: 400,
  maxConnections: 4,
  checkIntervalMs: 50,
};

async function withServer(
  fn: (server: ConnectionServer, port: number, peers: string[]) => Promise<void>,
  limits: ConnectionLimits = LIMITS,
): Promise<void> {
  const peers: string[] = [];
  const server = serveConnections(
    { hostname: "127.0.0.1", port: 0, limits },
    async (req, info) => {
      peers.push(info.remoteAddr.hostname);
      if (new URL(req.url).pathname === "/slow") await new Promise((r) => setTimeout(r, 1200));
      const body = req.body === null ? "" : await req.text().catch(() => "");
      return new Response(`ok ${body.length}`);
    },
  );
  try {
    await fn(server, server.addr.port, peers);
  } finally {
    await server.shutdown(1000);
  }
}

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: !connectionServerAvailable(), fn });

test("a partial request is disconnected within the header timeout", async () => {
  await withServer(async (server, port) => {
    const r = await rawExchange(port, "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: 1");
    assert.ok(r.closed, "the server closed the connection");
    assert.ok(r.closedAfterMs < 3000, `closed after ${r.closedAfterMs} ms`);
    assert.ok(server.stats().timedOut >= 1);
  });
});

test("a connection that sends nothing, or idles after an answer, is closed", async () => {
  await withServer(async (_server, port) => {
    const [silent, idle] = await Promise.all([
      rawExchange(port, ""),
      rawExchange(port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    ]);
    assert.ok(silent.closed && silent.closedAfterMs < 3000, JSON.stringify(silent));
    assert.ok(idle.closed && idle.closedAfterMs < 3000, JSON.stringify(idle));
    assert.match(idle.received, /^HTTP\/1\.1 200 /);
  });
});

test("a body that trickles in slower than the request timeout is cut off", async () => {
  await withServer(async (_server, port) => {
    const r = await rawExchange(
      port,
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc",
    );
    assert.ok(r.closed && r.closedAfterMs < 4000, JSON.stringify(r));
    assert.doesNotMatch(r.received, /200/);
  });
});

test("a handler slower than every timeout still answers a request without a body", async () => {
  await withServer(async (_server, port) => {
    const r = await rawExchange(port, "GET /slow HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assert.match(r.received, /^HTTP\/1\.1 200 [\s\S]*ok 0$/);
  });
});

test("connections beyond the bound are closed as soon as they are accepted", async () => {
  await withServer(async (server, port) => {
    const held = await Promise.all(
      Array.from(
        { length: LIMITS.maxConnections },
        () => Deno.connect({ hostname: "127.0.0.1", port }),
      ),
    );
    try {
      for (let i = 0; i < 50 && server.stats().open < LIMITS.maxConnections; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(server.stats().open, LIMITS.maxConnections);
      const extra = await rawExchange(port, "", 2000);
      assert.ok(extra.closed, "refused");
      assert.equal(server.stats().refused, 1);
    } finally {
      for (const c of held) c.close();
    }
    for (let i = 0; i < 100 && server.stats().open > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const after = await rawExchange(port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assert.match(after.received, /^HTTP\/1\.1 200 /);
  }, { ...LIMITS, headersTimeoutMs: 10_000 });
});

test("the handler sees the peer address, and a reset connection leaves the server serving", async () => {
  await withServer(async (_server, port, peers) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(
      new TextEncoder().encode("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nab"),
    );
    conn.close();
    const r = await rawExchange(port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assert.match(r.received, /^HTTP\/1\.1 200 /);
    assert.ok(peers.includes("127.0.0.1"));
  });
});
