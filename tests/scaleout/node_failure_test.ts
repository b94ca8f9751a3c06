/**
 * kill -9 of one node under load: every write a node acknowledged (key created, version
 * added) is there afterwards, every key still reads (a write the dead node left half done
 * is reconciled by the survivor), the shared chain stays gap-free and valid, and the dead
 * node restarts on its data dir and sees the same chain.
 */

import assert from "node:assert/strict";
import type { ApiCall, ApiResponse } from "../../testing/server_process.ts";
import { openPostgres } from "../../src/storage/postgres/database.ts";
import { auditEntries, clusterTest, makeCluster } from "./_cluster.ts";

const LOAD_MS = 3000;
const KILL_AT_MS = 1200;

/** What the nodes acknowledged during the load. */
interface Acknowledged {
  /** Key id → versions the nodes answered 200 or 201 for (the first included). */
  readonly versions: Map<string, Set<number>>;
  failures: number;
}

async function tryCall(call: () => Promise<ApiResponse>): Promise<ApiResponse | undefined> {
  try {
    return await call();
  } catch {
    return undefined; // the node is gone: nothing was acknowledged
  }
}

/** One client loop: create keys, rotate them, encrypt, until `until`. */
async function worker(api: ApiCall, acked: Acknowledged, until: number, n: number) {
  const mine: string[] = [];
  for (let i = 0; performance.now() < until && i < 10_000; i++) {
    const op = i % 4;
    if (op === 0 || mine.length === 0) {
      const r = await tryCall(() =>
        api("POST", "/api/v1/keys", { name: `load-${n}-${i}`, algorithm: "AES-256-GCM" })
      );
      if (r?.status === 201) {
        mine.push(r.body.id);
        acked.versions.set(r.body.id, new Set([1]));
      } else if (r === undefined) acked.failures++;
    } else {
      const id = mine[i % mine.length] as string;
      if (op === 3) {
        await tryCall(() => api("POST", `/api/v1/keys/${id}/encrypt`, { plaintext: "aGk=" }));
        continue;
      }
      const r = await tryCall(() => api("POST", `/api/v1/keys/${id}/rotate`));
      if (r?.status === 200) acked.versions.get(id)?.add(r.body.current_version);
      else if (r !== undefined && r.status !== 409) {
        throw new Error(`rotate answered ${r.status}: ${JSON.stringify(r.body)}`);
      }
    }
  }
}

clusterTest(
  "kill -9 of one node under load loses no acknowledged write and keeps the chain valid",
  async () => {
    const cluster = await makeCluster(["--rate-limit", "100000"]); // the load is far above the default limit
    try {
      await cluster.start(0);
      const doomed = await cluster.start(1);
      const survivor = await cluster.as(0, "alice");
      const victim = await cluster.as(1, "bob");
      const acked: Acknowledged = { versions: new Map(), failures: 0 };
      const until = performance.now() + LOAD_MS;
      const killer = new Promise<void>((resolve) =>
        setTimeout(() => {
          Deno.kill(doomed.serverPid, "SIGKILL");
          resolve();
        }, KILL_AT_MS)
      );
      await Promise.all([
        worker(survivor, acked, until, 0),
        worker(survivor, acked, until, 1),
        worker(victim, acked, until, 2),
        worker(victim, acked, until, 3),
        killer,
      ]);
      await doomed.stop();
      assert.ok(acked.versions.size > 4, `only ${acked.versions.size} keys created`);

      // Every acknowledged key and version is there, and every key reads: a half-done write
      // of the dead node is reconciled once its heartbeat is overdue (--node-timeout 3).
      const deadline = performance.now() + 15_000;
      for (const [id, versions] of acked.versions) {
        for (;;) {
          const r = await survivor("GET", `/api/v1/keys/${id}`);
          if (r.status === 200) {
            const listed = await survivor("GET", `/api/v1/keys/${id}/versions`);
            assert.equal(listed.status, 200, JSON.stringify(listed.body));
            const stored = new Set(listed.body.items.map((v: { version: number }) => v.version));
            for (const v of versions) assert.ok(stored.has(v), `${id} lost version ${v}`);
            assert.equal(stored.size, r.body.current_version, "versions are gap-free");
            break;
          }
          assert.equal(r.status, 422, JSON.stringify(r.body));
          assert.ok(performance.now() < deadline, `${id} still refused: ${r.body.error.message}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      const entries = await auditEntries(survivor);
      assert.deepEqual(entries.map((e) => e.seq), entries.map((_, i) => i + 1));
      const verified = await survivor("GET", "/api/v1/audit/verify");
      assert.equal(verified.body.valid, true, JSON.stringify(verified.body));

      // The dead node comes back on its data dir and sees the same, still valid, chain.
      await cluster.start(1);
      const back = await cluster.as(1, "bob");
      const again = await back("GET", "/api/v1/audit/verify");
      assert.equal(again.body.valid, true, JSON.stringify(again.body));
      assert.ok(again.body.entries >= entries.length);
      for (const id of acked.versions.keys()) {
        assert.equal((await back("GET", `/api/v1/keys/${id}`)).status, 200);
      }
    } finally {
      await cluster.cleanup();
    }
  },
);

clusterTest(
  "a node killed between its audit entry and its store write is reconciled by the survivor",
  async () => {
    const cluster = await makeCluster();
    const blocker = await openPostgres({ url: cluster.databaseUrl, skipMigrations: true });
    try {
      await cluster.start(0);
      const doomed = await cluster.start(1);
      const survivor = await cluster.as(0, "alice");
      const victim = await cluster.as(1, "bob");
      const key = await survivor("POST", "/api/v1/keys", { name: "stuck", algorithm: "EC-P256" });
      const id = key.body.id;
      // Hold the key's row so node 1's rotation commits its audit entry, then blocks on
      // the store write; kill node 1 there, then let go.
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => release = resolve);
      let locked: () => void = () => {};
      const isLocked = new Promise<void>((resolve) => locked = resolve);
      const holding = blocker.sql.begin(async (tx) => {
        await tx`select id from keys where id = ${id} for update`;
        locked();
        await held;
      });
      await isLocked;
      const rotation = victim("POST", `/api/v1/keys/${id}/rotate`).catch(() => undefined);
      const deadline = performance.now() + 10_000;
      for (;;) {
        const entries = await auditEntries(survivor);
        if (entries.some((e) => e.action === "key.rotate" && e.actor === "bob")) break;
        assert.ok(performance.now() < deadline, "the rotation never reached its commit point");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      Deno.kill(doomed.serverPid, "SIGKILL");
      await rotation;
      await doomed.stop();
      release();
      await holding;

      // The chain says version 2, the store holds version 1: once node 1 is declared dead
      // (--node-timeout 3) the survivor marks the write interrupted on the chain.
      const until = performance.now() + 15_000;
      for (;;) {
        const entries = await auditEntries(survivor);
        const reconciled = entries.filter((e) => e.action === "journal.reconcile");
        if (reconciled.length > 0) {
          assert.deepEqual(reconciled.map((e) => e.result), ["failed:interrupted"]);
          break;
        }
        assert.ok(performance.now() < until, "never reconciled");
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const shown = await survivor("GET", `/api/v1/keys/${id}`);
      assert.equal(shown.body.current_version, 1);
      const rotated = await survivor("POST", `/api/v1/keys/${id}/rotate`);
      assert.equal(rotated.body.current_version, 2);
      // A node that reads the record from the store afresh accepts it too.
      await cluster.start(1);
      const back = await cluster.as(1, "bob");
      assert.equal((await back("GET", `/api/v1/keys/${id}`)).body.current_version, 2);
      const verified = await survivor("GET", "/api/v1/audit/verify");
      assert.equal(verified.body.valid, true, JSON.stringify(verified.body));
    } finally {
      await blocker.close();
      await cluster.cleanup();
    }
  },
);
