/**
 * The node:https mutual-TLS listener in process: the RFC 8705 thumbprint matches what
 * openssl computes, handshakes without a trusted client certificate fail, and the handler
 * sees the peer address, the certificate thumbprint and a streamed body (an oversized
 * body meets the app's limit before it is read in full).
 */

import assert from "node:assert/strict";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { fromBase64 } from "../../src/core/encoding.ts";
import { type ConnectionBindings } from "../../src/http/context.ts";
import {
  certificateThumbprint,
  type FetchHandler,
  type MutualTlsServer,
  serveMutualTls,
} from "../../src/http/node_server.ts";
import {
  hasOpenssl,
  makePki,
  opensslThumbprint,
  type TestPki,
  tlsClient,
} from "../../testing/pki.ts";

function derOf(pem: string): Uint8Array {
  const body = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)?.[1];
  const der = fromBase64((body ?? "").replace(/\s+/g, ""));
  assert.ok(der !== undefined);
  return der;
}

async function withServer(
  handler: FetchHandler,
  fn: (server: MutualTlsServer, pki: TestPki) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-node-tls-" });
  try {
    const pki = await makePki(dir);
    const server = await serveMutualTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: await Deno.readTextFile(pki.server.cert),
      key: await Deno.readTextFile(pki.server.key),
      clientCa: await Deno.readTextFile(pki.ca),
      drainMs: 1000,
    }, handler);
    try {
      await fn(server, pki);
    } finally {
      await server.shutdown();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "certificateThumbprint is openssl's base64url SHA-256 of the DER certificate",
  ignore: !hasOpenssl,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ferrohsm-thumbprint-" });
    try {
      const pki = await makePki(dir);
      for (const file of [pki.client1.cert, pki.client2.cert, pki.ca]) {
        const ours = certificateThumbprint(derOf(await Deno.readTextFile(file)));
        assert.equal(ours, await opensslThumbprint(file));
        assert.match(ours, /^[A-Za-z0-9_-]{43}$/);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "the handler sees the peer address, the client certificate thumbprint and the body",
  ignore: !hasOpenssl,
  async fn() {
    const handler: FetchHandler = async (req, bindings: ConnectionBindings) => {
      const url = new URL(req.url);
      const body = req.body === null ? 0 : (await req.arrayBuffer()).byteLength;
      return Response.json(
        { bindings, method: req.method, path: url.pathname + url.search, body },
        { headers: { "X-Test": "yes" } },
      );
    };
    await withServer(handler, async (server, pki) => {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const client = await tlsClient(pki, pki.client1);
      try {
        const chunk = new Uint8Array(64 * 1024).fill(7);
        let sent = 0;
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent === 8) return controller.close();
            sent++;
            controller.enqueue(chunk);
          },
        });
        const res = await fetch(`${server.url}/api/v1/x?y=1`, {
          method: "POST",
          body: stream,
          client,
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("x-test"), "yes");
        const json = await res.json();
        assert.equal(json.method, "POST");
        assert.equal(json.path, "/api/v1/x?y=1");
        assert.equal(json.body, 8 * 64 * 1024);
        assert.match(json.bindings.clientAddress, /127\.0\.0\.1$/);
        assert.equal(
          json.bindings.clientCertThumbprint,
          await opensslThumbprint(pki.client1.cert),
        );
        const get = await fetch(`${server.url}/`, { client });
        assert.equal((await get.json()).body, 0);
      } finally {
        client.close();
      }
    });
  },
});

Deno.test({
  name: "handshakes without a client certificate or with one from another CA fail",
  ignore: !hasOpenssl,
  async fn() {
    let calls = 0;
    await withServer(() => {
      calls++;
      return new Response("no");
    }, async (server, pki) => {
      for (const identity of [undefined, pki.rogue]) {
        const client = await tlsClient(pki, identity);
        try {
          await assert.rejects(fetch(`${server.url}/healthz`, { client }));
        } finally {
          client.close();
        }
      }
      assert.equal(calls, 0);
    });
  },
});

Deno.test({
  name: "a streamed body over the app's limit answers 413 before it is read in full",
  ignore: !hasOpenssl,
  async fn() {
    const app = new Hono();
    app.use("*", bodyLimit({ maxSize: 1024, onError: (c) => c.text("too large", 413) }));
    app.post("/", async (c) => c.text(String((await c.req.arrayBuffer()).byteLength)));
    await withServer((req) => app.fetch(req), async (server, pki) => {
      const client = await tlsClient(pki, pki.client1);
      try {
        const small = await fetch(`${server.url}/`, { method: "POST", body: "x", client });
        assert.equal(await small.text(), "1");
        const chunk = new Uint8Array(16 * 1024);
        let sent = 0;
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            // 64 MiB at most: far more than the server may buffer.
            if (sent === 4096) return controller.close();
            sent++;
            controller.enqueue(chunk);
          },
        });
        const res = await fetch(`${server.url}/`, { method: "POST", body: stream, client });
        assert.equal(res.status, 413);
        assert.equal(await res.text(), "too large");
        assert.ok(sent < 4096, `the whole upload was read (${sent} chunks)`);
      } finally {
        client.close();
      }
    });
  },
});

Deno.test({
  name: "odd request targets and Host headers keep the path and never fail the request",
  ignore: !hasOpenssl,
  async fn() {
    const handler: FetchHandler = (req) => {
      const url = new URL(req.url);
      return new Response(`${url.host} ${url.pathname}${url.search}`);
    };
    await withServer(handler, async (server, pki) => {
      const port = Number(new URL(server.url).port);
      const ask = async (head: string): Promise<string> => {
        const conn = await Deno.connectTls({
          hostname: "127.0.0.1",
          port,
          caCerts: [await Deno.readTextFile(pki.ca)],
          cert: await Deno.readTextFile(pki.client1.cert),
          key: await Deno.readTextFile(pki.client1.key),
        });
        try {
          await conn.write(new TextEncoder().encode(`${head}\r\nConnection: close\r\n\r\n`));
          const text = await new Response(conn.readable).text();
          return text.split("\r\n\r\n").slice(1).join("").replace(/^[0-9a-f]+\r\n|\r\n0\r\n$/g, "");
        } catch (err) {
          conn.close();
          throw err;
        }
      };
      const self = `127.0.0.1:${port}`;
      assert.match(
        await ask("GET //evil.example/x?q=1 HTTP/1.1\r\nHost: ok.test"),
        /^ok\.test \/\/evil\.example\/x\?q=1/,
      );
      assert.match(await ask("GET /a HTTP/1.1\r\nHost: bad host"), new RegExp(`^${self} /a`));
      assert.match(await ask("GET /b HTTP/1.1\r\nHost: a:99999"), new RegExp(`^${self} /b`));
      assert.match(
        await ask("GET http://other.test/c?d HTTP/1.1\r\nHost: ok.test"),
        /^ok\.test \/c\?d/,
      );
    });
  },
});
