/**
 * Two FerroHSM server processes on one PostgreSQL database: concurrent rotations,
 * revocations and approvals from both nodes lose no update; one pending request per
 * action and key across nodes; the audit entries of both nodes form one gap-free chain
 * that verifies on either node; a change on one node is visible on the other within a
 * second.
 */

import assert from "node:assert/strict";
import { sharedPostgres } from "../../testing/postgres.ts";
import { type ApiCall, type ApiResponse, runCli } from "../../testing/server_process.ts";
import { auditEntries, clusterFlags, clusterTest, makeCluster } from "./_cluster.ts";

const MSG = btoa("hello");

/** Calls until the answer is not 409 conflict (another node won the race), at most 30 times. */
async function retryConflicts(call: () => Promise<ApiResponse>): Promise<ApiResponse> {
  for (let attempt = 0;; attempt++) {
    const r = await call();
    if (r.status !== 409 || r.body?.error?.code !== "conflict" || attempt >= 30) return r;
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
  }
}

clusterTest(
  "two nodes: concurrent rotations, revocations and approvals lose no update",
  async (t) => {
    const policy = await Deno.makeTempFile({ prefix: "ferrohsm-policy-", suffix: ".json" });
    await Deno.writeTextFile(policy, JSON.stringify({ actions: { "key.destroy": { quorum: 2 } } }));
    const cluster = await makeCluster(["--approval-policy", policy, "--rate-limit", "100000"]);
    try {
      await cluster.start(0);
      await cluster.start(1);
      const a = await cluster.as(0, "alice");
      const b = await cluster.as(1, "alice");
      const bob = await cluster.as(0, "bob");
      const carol = await cluster.as(1, "carol");

      await t.step("16 rotations from both nodes at once all land as 16 versions", async () => {
        const key = await a("POST", "/api/v1/keys", { name: "spin", algorithm: "AES-256-GCM" });
        assert.equal(key.status, 201);
        const id = key.body.id;
        const results = await Promise.all(
          Array.from(
            { length: 16 },
            (_, i) =>
              retryConflicts(() => (i % 2 === 0 ? a : b)("POST", `/api/v1/keys/${id}/rotate`)),
          ),
        );
        assert.deepEqual(results.map((r) => r.status), Array(16).fill(200));
        const versions = results.map((r) => r.body.current_version).sort((x, y) => x - y);
        assert.deepEqual(versions, Array.from({ length: 16 }, (_, i) => i + 2), "each once");
        for (const api of [a, b]) {
          const shown = await api("GET", `/api/v1/keys/${id}/versions`);
          assert.equal(shown.body.items.length, 17);
          assert.equal((await api("GET", `/api/v1/keys/${id}`)).body.current_version, 17);
        }
      });

      await t.step("a key revoked from both nodes at once is revoked exactly once", async () => {
        for (let k = 0; k < 4; k++) {
          const key = await a("POST", "/api/v1/keys", { name: `r${k}`, algorithm: "EC-P256" });
          const id = key.body.id;
          const [ra, rb] = await Promise.all([
            a("POST", `/api/v1/keys/${id}/revoke`),
            b("POST", `/api/v1/keys/${id}/revoke`),
          ]);
          assert.deepEqual([ra.status, rb.status].sort(), [200, 409]);
          for (const api of [a, b]) {
            assert.equal((await api("GET", `/api/v1/keys/${id}`)).body.state, "revoked");
          }
        }
      });

      await t.step("one pending destroy request per key across nodes", async () => {
        const key = await a("POST", "/api/v1/keys", { name: "once", algorithm: "Ed25519" });
        const id = key.body.id;
        const answers = await Promise.all(
          Array.from(
            { length: 6 },
            (_, i) => (i % 2 === 0 ? a : b)("DELETE", `/api/v1/keys/${id}`),
          ),
        );
        assert.equal(answers.filter((r) => r.status === 202).length, 1);
        assert.equal(answers.filter((r) => r.status === 409).length, 5);
        const pending = await b("GET", "/api/v1/approvals?state=pending&limit=100");
        const forKey = pending.body.items.filter((x: { key_id: string }) => x.key_id === id);
        assert.equal(forKey.length, 1);
      });

      await t.step("two approvers on two nodes at once both count", async () => {
        for (let k = 0; k < 3; k++) {
          const key = await a("POST", "/api/v1/keys", { name: `d${k}`, algorithm: "Ed25519" });
          const id = key.body.id;
          const request = await a("DELETE", `/api/v1/keys/${id}`);
          assert.equal(request.status, 202);
          const path = `/api/v1/approvals/${request.body.id}/approve`;
          const [byBob, byCarol] = await Promise.all([
            retryConflicts(() => bob("POST", path)),
            retryConflicts(() => carol("POST", path)),
          ]);
          assert.deepEqual([byBob.status, byCarol.status], [200, 200]);
          const final = await b("GET", `/api/v1/approvals/${request.body.id}`);
          assert.equal(final.body.state, "executed");
          assert.deepEqual(
            final.body.approvals.map((x: { actor: string }) => x.actor).sort(),
            ["bob", "carol"],
          );
          for (const api of [a, b]) {
            assert.equal((await api("GET", `/api/v1/keys/${id}`)).body.state, "destroyed");
          }
        }
      });

      await t.step(
        "both nodes' entries form one gap-free chain that verifies on either",
        async () => {
          const entries = await auditEntries(b);
          assert.deepEqual(entries.map((e) => e.seq), entries.map((_, i) => i + 1));
          const actors = new Set(entries.map((e) => e.actor));
          assert.ok(actors.has("alice") && actors.has("bob") && actors.has("carol"));
          const [va, vb] = await Promise.all([
            a("GET", "/api/v1/audit/verify"),
            b("GET", "/api/v1/audit/verify"),
          ]);
          assert.equal(va.body.valid, true, JSON.stringify(va.body));
          assert.equal(vb.body.valid, true, JSON.stringify(vb.body));
          assert.ok(vb.body.entries >= entries.length);
        },
      );

      await t.step(
        "offline verification reads the shared log and catches an edited row",
        async () => {
          const offline = [
            "audit",
            "verify",
            "--hmac-key-file",
            cluster.inst.hmacKeyFile,
            ...clusterFlags(cluster.databaseUrl).slice(0, 8),
          ];
          const ok = await runCli(offline);
          assert.equal(ok.code, 0, ok.stderr);
          assert.match(ok.stdout, /audit log intact/);
          const pg = await sharedPostgres();
          await pg.psql(
            "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 3",
            new URL(cluster.databaseUrl).pathname.slice(1),
          );
          const bad = await runCli(offline);
          assert.equal(bad.code, 1);
          assert.match(bad.stdout, /first bad entry seq 3 \(mac_mismatch\)/);
          const online = await b("GET", "/api/v1/audit/verify");
          assert.deepEqual(online.body, { valid: false, first_bad_seq: 3, reason: "mac_mismatch" });
        },
      );
    } finally {
      await cluster.cleanup();
      await Deno.remove(policy);
    }
  },
);

clusterTest(
  "two nodes: a change on one node is visible on the other within a second; strict limits are shared",
  async () => {
    const cluster = await makeCluster(["--rate-limit", "100000", "--strict-rate-limit", "2"]);
    try {
      await cluster.start(0);
      await cluster.start(1);
      const a = await cluster.as(0, "alice");
      const b = await cluster.as(1, "alice");
      const key = await a("POST", "/api/v1/keys", { name: "seen", algorithm: "EC-P256" });
      const id = key.body.id;
      // Node B caches the verified record and the loaded key.
      assert.equal((await b("POST", `/api/v1/keys/${id}/sign`, { message: MSG })).status, 200);
      assert.equal((await b("GET", `/api/v1/keys/${id}`)).body.current_version, 1);

      assert.equal((await a("POST", `/api/v1/keys/${id}/rotate`)).status, 200);
      const rotatedAfter = await waitFor(
        b,
        `/api/v1/keys/${id}`,
        (r) => r.body.current_version === 2,
      );
      assert.ok(rotatedAfter < 1000, `rotation seen after ${rotatedAfter} ms`);

      assert.equal((await a("POST", `/api/v1/keys/${id}/revoke`)).status, 200);
      const started = performance.now();
      for (;;) {
        const sign = await b("POST", `/api/v1/keys/${id}/sign`, { message: MSG });
        if (sign.status === 409) break;
        assert.equal(sign.status, 200);
        assert.ok(performance.now() - started < 1000, "node B still signs with a revoked key");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.ok(performance.now() - started < 1000);
      const listed = await b("GET", "/api/v1/keys?state=revoked");
      assert.ok(listed.body.items.some((k: { id: string }) => k.id === id), "listing follows too");

      // Destruction requests are limited exactly across the nodes (2 a minute per actor here).
      const answers = [];
      for (const api of [a, b, a]) {
        const k = await api("POST", "/api/v1/keys", { name: "gone", algorithm: "Ed25519" });
        answers.push((await api("DELETE", `/api/v1/keys/${k.body.id}`)).status);
      }
      assert.deepEqual(answers, [202, 202, 429]);
    } finally {
      await cluster.cleanup();
    }
  },
);

/** Polls `path` on `api` until `done` holds; returns the milliseconds it took (at most 5 s). */
async function waitFor(
  api: ApiCall,
  path: string,
  done: (r: ApiResponse) => boolean,
): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < 5000) {
    if (done(await api("GET", path))) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${path} never changed`);
}
