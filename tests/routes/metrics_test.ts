/**
 * `GET /metrics` against the real server process: the counters move after real
 * requests (by route pattern, never raw path), the output passes `promtool check
 * metrics`, and `--metrics-auth` puts the endpoint behind `metrics:read`.
 */

import assert from "node:assert/strict";
import { makeInstallation } from "../../testing/installation.ts";
import { client, startServerProcess } from "../../testing/server_process.ts";

const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

async function hasPromtool(): Promise<boolean> {
  try {
    const out = await new Deno.Command("promtool", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

const PROMTOOL = await hasPromtool();

/** Sample values keyed by `name{labels}` exactly as rendered. */
function parseSamples(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

async function scrape(url: string, token?: string): Promise<Response> {
  return await fetch(`${url}/metrics`, {
    headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
  });
}

async function scrapeText(url: string): Promise<string> {
  const res = await scrape(url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("Content-Type"), CONTENT_TYPE);
  return await res.text();
}

Deno.test("metrics count requests by route pattern, crypto ops, JWT failures and audit batches", async () => {
  const inst = await makeInstallation();
  const server = await startServerProcess(inst.flags());
  try {
    const before = parseSamples(await scrapeText(server.url));
    const admin = client(server.url, await inst.token("alice", ["Administrator"]));
    const key = await admin("POST", "/api/v1/keys", { name: "m", algorithm: "EC-P256" });
    assert.equal(key.status, 201);
    const id = key.body.id as string;
    const signed = await admin("POST", `/api/v1/keys/${id}/sign`, { message: "aGVsbG8=" });
    assert.equal(signed.status, 200);
    const bad = await client(server.url, "not.a.jwt")("GET", "/api/v1/keys");
    assert.equal(bad.status, 401);
    assert.equal((await admin("GET", "/api/v1/no-such-thing")).status, 404);

    const text = await scrapeText(server.url);
    const after = parseSamples(text);
    const delta = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
    assert.equal(
      delta(
        'ferrohsm_http_requests_total{route="/api/v1/keys/:id/sign",method="POST",status="200"}',
      ),
      1,
    );
    assert.equal(
      delta('ferrohsm_http_requests_total{route="/api/v1/keys",method="POST",status="201"}'),
      1,
    );
    assert.equal(
      delta('ferrohsm_http_requests_total{route="unmatched",method="GET",status="404"}'),
      1,
    );
    assert.equal(
      delta(
        'ferrohsm_http_request_duration_seconds_count{route="/api/v1/keys/:id/sign",method="POST"}',
      ),
      1,
    );
    assert.equal(
      delta('ferrohsm_crypto_operations_total{algorithm="EC-P256",operation="sign",result="ok"}'),
      1,
    );
    assert.ok(delta('ferrohsm_jwt_failures_total{reason="malformed"}') >= 1);
    assert.ok(delta("ferrohsm_audit_batch_size_count") >= 1);
    assert.ok(delta("ferrohsm_audit_append_latency_seconds_count") >= 1);
    assert.ok(delta("ferrohsm_audit_head_seq") >= 2);
    assert.ok((after.get('ferrohsm_cache_misses_total{cache="key"}') ?? 0) >= 1);
    assert.equal(after.get('ferrohsm_approvals{state="pending"}'), 0);
    assert.ok((after.get("process_resident_memory_bytes") ?? 0) > 0);
    assert.equal(after.get("ferrohsm_self_test_passed"), 1);
    // Cardinality: raw paths (which carry key ids) never become labels.
    assert.ok(!text.includes(id));
    assert.ok(!text.includes("no-such-thing"));
  } finally {
    await server.stop();
    await inst.cleanup();
  }
});

Deno.test({
  name: PROMTOOL
    ? "promtool check metrics accepts the real output"
    : "promtool check metrics accepts the real output (ignored: promtool not installed; apt-get install prometheus)",
  ignore: !PROMTOOL,
  async fn() {
    const inst = await makeInstallation();
    const server = await startServerProcess(inst.flags());
    try {
      const admin = client(server.url, await inst.token("alice", ["Administrator"]));
      const key = await admin("POST", "/api/v1/keys", { name: "p", algorithm: "AES-256-GCM" });
      await admin("POST", `/api/v1/keys/${key.body.id}/encrypt`, { plaintext: "aGk=" });
      await client(server.url, "x.y.z")("GET", "/api/v1/keys");
      await admin("GET", "/nothing/here");
      const text = await scrapeText(server.url);
      const child = new Deno.Command("promtool", {
        args: ["check", "metrics"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(text));
      await writer.close();
      const out = await child.output();
      const dec = new TextDecoder();
      const printed = (dec.decode(out.stdout) + dec.decode(out.stderr)).trim();
      assert.equal(printed, "", `promtool reported problems:\n${printed}`);
      assert.equal(out.code, 0);
    } finally {
      await server.stop();
      await inst.cleanup();
    }
  },
});

Deno.test("with --metrics-auth, /metrics needs a token granting metrics:read", async () => {
  const inst = await makeInstallation();
  const server = await startServerProcess(inst.flags(["--metrics-auth"]));
  try {
    const anonymous = await scrape(server.url);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get("WWW-Authenticate") ?? "", /^Bearer/);
    assert.equal((await anonymous.json()).error.code, "unauthenticated");
    const service = await scrape(server.url, await inst.token("svc", ["Service"]));
    assert.equal(service.status, 403);
    await service.body?.cancel();
    const admin = await scrape(server.url, await inst.token("alice", ["Administrator"]));
    assert.equal(admin.status, 200);
    assert.equal(admin.headers.get("Content-Type"), CONTENT_TYPE);
    const samples = parseSamples(await admin.text());
    assert.equal(
      samples.get('ferrohsm_http_requests_total{route="/metrics",method="GET",status="401"}'),
      1,
    );
    assert.equal(samples.get('ferrohsm_jwt_failures_total{reason="malformed"}'), undefined);
  } finally {
    await server.stop();
    await inst.cleanup();
  }
});
