/**
 * Rate limiting and load shedding over HTTP against the real server process: per-actor
 * token buckets (429 + Retry-After, other actors unaffected, recovery after the wait),
 * per-role limits from `--rate-limit-config`, a start-up refusal of an unknown role, and
 * 503 + `Retry-After: 1` once `--max-concurrent` and `--max-queue` are exceeded.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { makeInstallation } from "../../testing/installation.ts";
import { mintToken } from "../../src/auth/token_mint.ts";
import {
  type ApiResponse,
  client,
  runDeno,
  startServerProcess,
} from "../../testing/server_process.ts";

Deno.test("an actor over its rate gets 429 with Retry-After, others are unaffected, and it recovers", async () => {
  const inst = await makeInstallation();
  const limitsFile = join(inst.dir, "limits.json");
  await Deno.writeTextFile(limitsFile, JSON.stringify({ roles: { Service: { rps: 50 } } }));
  const server = await startServerProcess(
    inst.flags(["--rate-limit", "2", "--rate-limit-config", limitsFile]),
  );
  try {
    const alice = client(server.url, await inst.token("alice", ["Operator"]));
    const bob = client(server.url, await inst.token("bob", ["Operator"]));
    const svc = client(server.url, await inst.token("svc", ["Service"]));

    // Burst 2 × 2 = 4: of five quick requests exactly one is refused.
    const burst = await Promise.all(Array.from({ length: 5 }, () => alice("GET", "/api/v1/keys")));
    assert.deepEqual(burst.map((r) => r.status).sort(), [200, 200, 200, 200, 429]);
    const limited = burst.find((r) => r.status === 429) as ApiResponse;
    assert.equal(limited.body.error.code, "rate_limited");
    assert.deepEqual(Object.keys(limited.body), ["error"]);
    assert.deepEqual(Object.keys(limited.body.error).sort(), ["code", "message"]);
    const retryAfter = Number(limited.headers.get("Retry-After"));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3, `${retryAfter}`);

    assert.equal((await bob("GET", "/api/v1/keys")).status, 200);
    // The Service role has its own, higher limit (50 rps, burst 100).
    const many = await Promise.all(Array.from({ length: 8 }, () => svc("GET", "/api/v1/keys")));
    assert.deepEqual(many.map((r) => r.status), Array(8).fill(200));

    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    assert.equal((await alice("GET", "/api/v1/keys")).status, 200);

    const health = await client(server.url, await inst.token("ops", ["Auditor"]))(
      "GET",
      "/healthz",
    );
    assert.equal(health.status, 200);
    assert.ok(health.body.rate_limiter.actor.limited >= 1);
    assert.equal(health.body.rate_limiter.actor.maxActors, 4096);
    assert.equal(health.body.load_shed.maxConcurrent, 256);
  } finally {
    await server.stop();
    await inst.cleanup();
  }
});

Deno.test("a rate-limit config naming an unknown role is a start-up error (exit 2)", async () => {
  const inst = await makeInstallation();
  try {
    const limitsFile = join(inst.dir, "limits.json");
    await Deno.writeTextFile(limitsFile, JSON.stringify({ roles: { Root: { rps: 5 } } }));
    const r = await runDeno([
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-env",
      "--allow-run",
      "src/cli/launch.ts",
      "serve",
      ...inst.flags(["--rate-limit-config", limitsFile]),
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /unknown role "Root"/);
  } finally {
    await inst.cleanup();
  }
});

Deno.test("concurrent slow requests beyond --max-concurrent and --max-queue are shed with 503", async () => {
  const inst = await makeInstallation();
  const server = await startServerProcess(
    inst.flags(["--max-concurrent", "2", "--max-queue", "1"]),
  );
  try {
    const admin = client(server.url, await inst.token("admin", ["Administrator"]));
    // RSA-4096 generation takes far longer than ten requests take to arrive.
    const answers = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) => admin("POST", "/api/v1/keys", { name: `slow-${i}`, algorithm: "RSA-4096" }),
      ),
    );
    const statuses = answers.map((r) => r.status);
    assert.ok(statuses.every((s) => s === 201 || s === 503), statuses.join(","));
    assert.ok(statuses.includes(201), statuses.join(","));
    assert.ok(statuses.includes(503), statuses.join(","));
    for (const r of answers.filter((a) => a.status === 503)) {
      assert.equal(r.headers.get("Retry-After"), "1");
      assert.deepEqual(r.body, {
        error: { code: "unavailable", message: "Server overloaded, retry later" },
      });
    }
    const health = await client(server.url, await inst.token("ops", ["Auditor"]))(
      "GET",
      "/healthz",
    );
    assert.equal(health.body.load_shed.shed, statuses.filter((s) => s === 503).length);
    assert.equal(health.body.load_shed.running, 1, "only the health request itself");
  } finally {
    await server.stop();
    await inst.cleanup();
  }
});

Deno.test("4100 distinct actors over HTTP keep the rate limiter at its 4096-actor bound", async () => {
  const inst = await makeInstallation();
  const server = await startServerProcess(inst.flags(["--rate-limit", "1000"]));
  try {
    const jwks = JSON.parse(await Deno.readTextFile(inst.keysetFile));
    const actors = 4100;
    let next = 0;
    const worker = async () => {
      while (next < actors) {
        const i = next++;
        const token = await mintToken(jwks, { sub: `actor-${i}`, roles: ["Auditor"], kid: "hs" });
        const r = await client(server.url, token)("GET", "/api/v1/keys?per_page=1");
        assert.equal(r.status, 200, `actor-${i}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const health = await client(server.url, await inst.token("ops", ["Auditor"]))(
      "GET",
      "/healthz",
    );
    const actor = health.body.rate_limiter.actor;
    assert.ok(actor.actors <= 4096, `tracked ${actor.actors} actors`);
    assert.ok(actor.evictions >= actors - 4096, `evicted ${actor.evictions}`);
  } finally {
    await server.stop();
    await inst.cleanup();
  }
});
