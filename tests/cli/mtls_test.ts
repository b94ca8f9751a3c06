/**
 * Mutual TLS end to end (real server through the launcher, certificates made with
 * openssl): with `--tls-client-ca` the TLS handshake requires a client certificate from
 * that CA; the API, the body and header limits and the per-address rate limit work as
 * over Deno.serve; a token bound to a certificate (RFC 8705 `cnf`, minted with
 * `token mint --cnf-x5t-s256`) works only with that certificate; and the CLI's
 * `--cert/--key/--ca` reach the server.
 */

import assert from "node:assert/strict";
import { type Installation, makeInstallation } from "../../testing/installation.ts";
import {
  type CertFiles,
  hasOpenssl,
  makePki,
  opensslThumbprint,
  type TestPki,
  tlsClient,
} from "../../testing/pki.ts";
import {
  type ApiResponse,
  jsonRequest,
  readResponse,
  runCli,
  startServerProcess,
} from "../../testing/server_process.ts";

const UNAUTHENTICATED = {
  error: { code: "unauthenticated", message: "Invalid or expired credentials" },
};

function mtlsFlags(inst: Installation, pki: TestPki, extra: string[] = []): string[] {
  return inst.flags([
    "--tls-cert",
    pki.server.cert,
    "--tls-key",
    pki.server.key,
    "--tls-client-ca",
    pki.ca,
    ...extra,
  ]);
}

/** A JSON API caller over one mutual-TLS client. */
function caller(url: string, http: Deno.HttpClient) {
  return async (
    method: string,
    path: string,
    token?: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse> =>
    await readResponse(
      await fetch(`${url}${path}`, { ...jsonRequest(method, token, body, headers), client: http }),
    );
}

Deno.test({
  name: "with --tls-client-ca the API needs a client certificate from that CA",
  ignore: !hasOpenssl,
  async fn() {
    const inst = await makeInstallation();
    const pki = await makePki(inst.dir);
    const server = await startServerProcess(mtlsFlags(inst, pki));
    const clients: Deno.HttpClient[] = [];
    const client = async (identity?: CertFiles) => {
      const http = await tlsClient(pki, identity);
      clients.push(http);
      return http;
    };
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      // The handshake itself fails without a certificate or with one from another CA.
      await assert.rejects(fetch(`${server.url}/healthz`, { client: await client() }));
      await assert.rejects(fetch(`${server.url}/healthz`, { client: await client(pki.rogue) }));

      const http1 = await client(pki.client1);
      const one = caller(server.url, http1);
      const two = caller(server.url, await client(pki.client2));
      const admin = await inst.token("alice", ["Administrator"]);
      const key = await one("POST", "/api/v1/keys", admin, { name: "m", algorithm: "EC-P256" });
      assert.equal(key.status, 201, JSON.stringify(key.body));
      const sign = await one("POST", `/api/v1/keys/${key.body.id}/sign`, admin, {
        message: btoa("hello"),
      });
      assert.equal(sign.status, 200);
      assert.equal(sign.body.version, 1);
      // An unbound token authenticates over any trusted certificate.
      assert.equal((await two("GET", "/api/v1/keys", admin)).status, 200);

      // A token bound to client 1's certificate (minted by the CLI).
      const thumbprint = await opensslThumbprint(pki.client1.cert);
      const minted = await runCli([
        "token",
        "mint",
        "--keyset",
        inst.keysetFile,
        "--sub",
        "bound",
        "--roles",
        "Operator",
        "--cnf-x5t-s256",
        thumbprint,
      ]);
      assert.equal(minted.code, 0, minted.stderr);
      const bound = minted.stdout.trim();
      const payload = JSON.parse(
        atob((bound.split(".")[1] as string).replace(/-/g, "+").replace(/_/g, "/")),
      );
      assert.deepEqual(payload.cnf, { "x5t#S256": thumbprint });
      assert.equal((await one("GET", `/api/v1/keys/${key.body.id}`, bound)).status, 200);
      const stolen = await two("GET", `/api/v1/keys/${key.body.id}`, bound);
      assert.equal(stolen.status, 401);
      assert.equal(stolen.headers.get("WWW-Authenticate"), 'Bearer realm="ferrohsm"');
      assert.deepEqual(stolen.body, UNAUTHENTICATED);
      assert.deepEqual((await two("GET", "/api/v1/keys", "not-a-token")).body, UNAUTHENTICATED);
      const badCnf = await runCli([
        "token",
        "mint",
        "--keyset",
        inst.keysetFile,
        "--sub",
        "x",
        "--roles",
        "Operator",
        "--cnf-x5t-s256",
        "abc",
      ]);
      assert.equal(badCnf.code, 2);

      // The 1 MiB body limit (declared and streamed) and the header limit still apply.
      const big = await one("POST", `/api/v1/keys/${key.body.id}/sign`, admin, "x".repeat(2 << 20));
      assert.equal(big.status, 413);
      assert.equal(big.body.error.code, "payload_too_large");
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ === 256) return controller.close();
          controller.enqueue(new Uint8Array(16 * 1024).fill(0x20));
        },
      });
      const streamed = await fetch(`${server.url}/api/v1/keys/${key.body.id}/sign`, {
        method: "POST",
        headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" },
        body: stream,
        client: http1,
      });
      assert.equal(streamed.status, 413);
      await streamed.body?.cancel();
      const headers = await one("GET", "/api/v1/keys", admin, undefined, {
        "X-Big": "a".repeat(20 * 1024),
      });
      assert.equal(headers.status, 400);
      assert.equal(headers.body.error.code, "invalid_request");
    } finally {
      // Stopped while the clients still hold keep-alive connections: shutdown closes them.
      assert.equal(await server.stop(), 0);
      for (const http of clients) http.close();
      await inst.cleanup();
    }
  },
});

Deno.test({
  name: "over mutual TLS the per-address rate limit keys on the client address",
  ignore: !hasOpenssl,
  async fn() {
    const inst = await makeInstallation();
    const pki = await makePki(inst.dir);
    // --rate-limit 1: the per-address bucket holds a burst of 20 at 10 per second.
    const server = await startServerProcess(mtlsFlags(inst, pki, ["--rate-limit", "1"]));
    const http = await tlsClient(pki, pki.client1);
    try {
      const call = caller(server.url, http);
      let limited: ApiResponse | undefined;
      for (let i = 0; i < 60 && limited === undefined; i++) {
        const res = await call("GET", "/api/v1/keys");
        if (res.status === 429) limited = res;
        else assert.equal(res.status, 401);
      }
      assert.ok(limited !== undefined, "the flood was never limited");
      assert.equal(limited.body.error.code, "rate_limited");
      const retryAfter = Number(limited.headers.get("Retry-After"));
      assert.ok(retryAfter >= 1);
      // /metrics shares the per-address limit: scrape once the bucket has refilled.
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
      const metrics = await fetch(`${server.url}/metrics`, { client: http });
      assert.match(await metrics.text(), /ferrohsm_rate_limited_total\{scope="ip"\} [1-9]/);
    } finally {
      assert.equal(await server.stop(), 0);
      http.close();
      await inst.cleanup();
    }
  },
});

Deno.test({
  name: "the CLI's --cert, --key and --ca reach a mutual-TLS server",
  ignore: !hasOpenssl,
  async fn() {
    const inst = await makeInstallation();
    const pki = await makePki(inst.dir);
    const server = await startServerProcess(mtlsFlags(inst, pki));
    try {
      const env = {
        FERROHSM_ADDR: server.url,
        FERROHSM_TOKEN: await inst.token("alice", ["Administrator"]),
      };
      const tls = (
        identity: CertFiles,
      ) => ["--ca", pki.ca, "--cert", identity.cert, "--key", identity.key];
      const created = await runCli([
        ...tls(pki.client1),
        "--json",
        "key",
        "create",
        "--name",
        "cli",
        "--algorithm",
        "AES-256-GCM",
      ], env);
      assert.equal(created.code, 0, created.stderr);
      const listed = await runCli([...tls(pki.client1), "--json", "key", "list"], env);
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal(JSON.parse(listed.stdout).total, 1);
      const health = await runCli([...tls(pki.client2), "health"], env);
      assert.equal(health.code, 0, health.stderr);

      const noCert = await runCli(["--ca", pki.ca, "key", "list"], env);
      assert.equal(noCert.code, 1);
      assert.match(noCert.stderr, /unreachable: Cannot reach https:/);
      const rogue = await runCli([...tls(pki.rogue), "key", "list"], env);
      assert.equal(rogue.code, 1);
      assert.match(rogue.stderr, /unreachable/);

      const boundEnv = {
        ...env,
        FERROHSM_TOKEN: (await runCli([
          "token",
          "mint",
          "--keyset",
          inst.keysetFile,
          "--sub",
          "bob",
          "--roles",
          "Operator",
          "--cnf-x5t-s256",
          await opensslThumbprint(pki.client2.cert),
        ])).stdout.trim(),
      };
      const right = await runCli([...tls(pki.client2), "--json", "key", "list"], boundEnv);
      assert.equal(right.code, 0, right.stderr);
      const wrong = await runCli([...tls(pki.client1), "--json", "key", "list"], boundEnv);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /unauthenticated: Invalid or expired credentials/);
    } finally {
      assert.equal(await server.stop(), 0);
      await inst.cleanup();
    }
  },
});
