/**
 * Governance on two FerroHSM server processes sharing one PostgreSQL database: a policy
 * created on node A denies on node B within a second (the change feed reloads B's policy
 * engine) and stops denying once deleted; both nodes hold one attestation key and one
 * receipt ledger, so a purge run on B is receipted where A reads it, and A sees the
 * purged version.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import type { ApiCall, ApiResponse } from "../../testing/server_process.ts";
import { clusterTest, makeCluster } from "./_cluster.ts";

const MSG = btoa("governed");

/** Polls `call` until `done` holds; returns the milliseconds it took (at most 5 s). */
async function until(
  call: () => Promise<ApiResponse>,
  done: (r: ApiResponse) => boolean,
): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < 5000) {
    if (done(await call())) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the other node never followed");
}

const sign = (api: ApiCall, id: string) => () =>
  api("POST", `/api/v1/keys/${id}/sign`, { message: MSG });

clusterTest(
  "two nodes: a policy created on A denies on B within a second, and lifts when deleted",
  async () => {
    const cluster = await makeCluster(["--rate-limit", "100000", "--policy-deadline-ms", "1000"]);
    try {
      await cluster.start(0);
      await cluster.start(1);
      const a = await cluster.as(0, "alice");
      const b = await cluster.as(1, "bob");
      const key = (await a("POST", "/api/v1/keys", { name: "gov", algorithm: "EC-P256" })).body;
      const warm = await sign(b, key.id)();
      assert.equal(warm.status, 200, `B signs before any policy: ${JSON.stringify(warm.body)}`);

      const created = await a("POST", "/api/v1/policies", {
        name: "freeze",
        script: "export default () => ({ deny: 'frozen by A' })",
        scope: { actions: ["sign"], key_ids: [key.id] },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const deniedAfter = await until(sign(b, key.id), (r) => r.status === 403);
      assert.ok(deniedAfter < 1000, `B denied after ${deniedAfter} ms`);
      const denied = await sign(b, key.id)();
      assert.equal(denied.body.error.code, "policy_denied");
      assert.match(denied.body.error.message, /frozen by A/);
      const listed = await b("GET", "/api/v1/policies");
      assert.deepEqual(listed.body.items.map((p: { id: string }) => p.id), [created.body.id]);

      assert.equal((await a("DELETE", `/api/v1/policies/${created.body.id}`)).status, 200);
      const liftedAfter = await until(sign(b, key.id), (r) => r.status === 200);
      assert.ok(liftedAfter < 1000, `B allowed again after ${liftedAfter} ms`);
      // B's audit verification covers A's policy entries (one chain, journal caught up).
      const verified = await b("GET", "/api/v1/audit/verify");
      assert.equal(verified.body.valid, true, JSON.stringify(verified.body));
    } finally {
      await cluster.cleanup();
    }
  },
);

clusterTest(
  "two nodes: one attestation key and one receipt ledger; a purge on B is receipted for A",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "ferrohsm-retention-" });
    const classes = join(dir, "retention.yaml");
    await Deno.writeTextFile(
      classes,
      [
        "version: 1",
        "default_class: standard",
        "classes:",
        "  standard:",
        "    revoked_versions_days: null",
        "    destroyed_keys_days: 0",
        "    purge_requires_approval: true",
        "    grace_hours: 24",
        "  ephemeral:",
        "    revoked_versions_days: 0",
        "    destroyed_keys_days: 0",
        "    purge_requires_approval: false",
        "    grace_hours: 0",
        "",
      ].join("\n"),
    );
    const cluster = await makeCluster(["--rate-limit", "100000", "--retention-config", classes]);
    try {
      await cluster.start(0);
      await cluster.start(1);
      const a = await cluster.as(0, "alice");
      const b = await cluster.as(1, "bob");
      const keyA = (await a("GET", "/api/v1/retention/attestation-key")).body;
      const keyB = (await b("GET", "/api/v1/retention/attestation-key")).body;
      assert.equal(keyA.pem, keyB.pem, "one attestation key for the cluster");

      const key = (await a("POST", "/api/v1/keys", {
        name: "short",
        algorithm: "AES-256-GCM",
        retention_class: "ephemeral",
      })).body;
      assert.equal(key.retention_class, "ephemeral", JSON.stringify(key));
      assert.equal((await a("POST", `/api/v1/keys/${key.id}/rotate`)).status, 200);
      const run = await b("POST", "/api/v1/retention/run");
      assert.equal(run.status, 200, JSON.stringify(run.body));
      assert.deepEqual(
        run.body.purged.map((p: { key_id: string; version: number }) => [p.key_id, p.version]),
        [[key.id, 1]],
      );
      const receipts = (await a("GET", "/api/v1/retention/receipts")).body.items;
      assert.deepEqual(
        receipts.map((r: { key_id: string; version: number }) => [r.key_id, r.version]),
        [[key.id, 1]],
      );
      const versions = (await a("GET", `/api/v1/keys/${key.id}/versions`)).body.items;
      assert.deepEqual(versions.map((v: { state: string }) => v.state), ["purged", "active"]);
      const again = await a("POST", "/api/v1/retention/run");
      assert.deepEqual(again.body.purged, [], "a purged version is never purged twice");
    } finally {
      await cluster.cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
