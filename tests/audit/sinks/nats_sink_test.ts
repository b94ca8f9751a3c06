/**
 * The NATS sink against a real `nats-server` started by the test (JetStream with a file
 * store, so the stream survives the restart): every entry is stored once, in order, on
 * `ferrohsm.audit.<action>`, across a broker restart while entries keep being committed.
 * Skipped when `nats-server` is absent (apt-get install -y nats-server).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { AckPolicy, connect, DeliverPolicy } from "nats";
import { AuditLog } from "../../../src/audit/audit_log.ts";
import { AuditSinks } from "../../../src/audit/sinks/audit_sinks.ts";
import { messageIdOf, NatsSink, subjectOf } from "../../../src/audit/sinks/nats_sink.ts";
import { MemoryAuditStore } from "../../../src/storage/memory/audit_store.ts";
import { chainOf, tempDir, testMacKey } from "../_helpers.ts";
import { until } from "./_receivers.ts";

const hasNats = await new Deno.Command("nats-server", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
})
  .output().then((o) => o.success, () => false);
if (!hasNats) {
  // deno-lint-ignore no-console -- tell the runner why the tests are skipped
  console.warn("nats_sink_test: nats-server not found (apt-get install -y nats-server); skipping");
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function startNats(port: number, storeDir?: string): Promise<Deno.ChildProcess> {
  const args = ["-a", "127.0.0.1", "-p", String(port)];
  if (storeDir !== undefined) args.push("-js", "-sd", storeDir);
  const child = new Deno.Command("nats-server", { args, stdout: "null", stderr: "null" }).spawn();
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  child.kill("SIGKILL");
  await child.status;
  throw new Error("nats-server did not start");
}

async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // already gone
  }
  await child.status;
}

Deno.test("subjects follow the action, made subject-safe", () => {
  assert.equal(subjectOf("key.create"), "ferrohsm.audit.key.create");
  assert.equal(subjectOf("sign"), "ferrohsm.audit.sign");
  assert.equal(subjectOf("a*b..>c"), "ferrohsm.audit.a_b._c");
  assert.equal(subjectOf(""), "ferrohsm.audit._");
});

Deno.test({
  name: "JetStream stores every entry once, in order, across a broker restart",
  ignore: !hasNats,
  fn: async () => {
    const dir = await tempDir();
    const port = freePort();
    const storeDir = join(dir, "js");
    let nats = await startNats(port, storeDir);
    const log = await AuditLog.open(new MemoryAuditStore(), await testMacKey());
    const url = `nats://127.0.0.1:${port}`;
    const sinks = await AuditSinks.open({
      specs: [{ kind: "nats", url, stream: "FERROHSM_AUDIT" }],
      dataDir: dir,
      source: log,
      hostname: "h",
      retryMinMs: 50,
      retryMaxMs: 200,
    });
    try {
      const append = async (n: number, action: string) => {
        for (let i = 0; i < n; i++) {
          await log.append({ actor: "alice", action, keyId: `k${i}`, result: "ok" });
          sinks.notify();
        }
      };
      await append(15, "key.create");
      await until(() => sinks.stats()[0]?.lag === 0, "first batch");
      await stop(nats);
      // Requests go on while the bus is down: entries wait in the audit store.
      await append(15, "sign");
      await until(() => (sinks.stats()[0]?.failures ?? 0) >= 1, "a failed delivery");
      assert.equal(sinks.stats()[0]?.lag, 15);
      nats = await startNats(port, storeDir);
      await append(5, "key.rotate");
      await until(() => sinks.stats()[0]?.lag === 0, "catch-up");

      const nc = await connect({ servers: url });
      try {
        const jsm = await nc.jetstreamManager();
        const info = await jsm.streams.info("FERROHSM_AUDIT");
        assert.equal(info.state.messages, 35);
        await jsm.consumers.add("FERROHSM_AUDIT", {
          durable_name: "check",
          ack_policy: AckPolicy.None,
          deliver_policy: DeliverPolicy.All,
        });
        const consumer = await nc.jetstream().consumers.get("FERROHSM_AUDIT", "check");
        const got: { seq: number; subject: string; header: string | undefined }[] = [];
        const batch = await consumer.fetch({ max_messages: 35, expires: 5000 });
        for await (const m of batch) {
          const entry = JSON.parse(new TextDecoder().decode(m.data)) as { seq: number };
          got.push({ seq: entry.seq, subject: m.subject, header: m.headers?.get("Ferrohsm-Seq") });
          if (got.length === 35) break;
        }
        assert.deepEqual(got.map((g) => g.seq), Array.from({ length: 35 }, (_, i) => i + 1));
        assert.equal(got[0]?.subject, "ferrohsm.audit.key.create");
        assert.equal(got[20]?.subject, "ferrohsm.audit.sign");
        assert.equal(got[34]?.subject, "ferrohsm.audit.key.rotate");
        assert.equal(got.every((g) => g.header === String(g.seq)), true);
      } finally {
        await nc.close();
      }
    } finally {
      await sinks.close();
      await log.close();
      await stop(nats);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a batch resent after a lost acknowledgement is stored once",
  ignore: !hasNats,
  fn: async () => {
    const dir = await tempDir();
    const port = freePort();
    const nats = await startNats(port, join(dir, "js"));
    const url = `nats://127.0.0.1:${port}`;
    const sink = new NatsSink({ servers: url, stream: "DUP" });
    try {
      const entries = await chainOf(await testMacKey(), 4);
      await sink.send(entries);
      await sink.send(entries.slice(2));
      const nc = await connect({ servers: url });
      const info = await (await nc.jetstreamManager()).streams.info("DUP");
      await nc.close();
      assert.equal(info.state.messages, 4);
      assert.match(messageIdOf(entries[0] as (typeof entries)[number]), /^1-[0-9a-f]{16}$/);
    } finally {
      await sink.close();
      await stop(nats);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "without a stream, entries are published as plain NATS messages",
  ignore: !hasNats,
  fn: async () => {
    const port = freePort();
    const nats = await startNats(port);
    const url = `nats://127.0.0.1:${port}`;
    const sink = new NatsSink({ servers: url });
    const nc = await connect({ servers: url });
    try {
      const sub = nc.subscribe("ferrohsm.audit.>", { max: 3 });
      await nc.flush();
      await sink.send(await chainOf(await testMacKey(), 3));
      const seqs: number[] = [];
      for await (const m of sub) seqs.push(JSON.parse(new TextDecoder().decode(m.data)).seq);
      assert.deepEqual(seqs, [1, 2, 3]);
      assert.equal(sink.connected(), true);
    } finally {
      await nc.close();
      await sink.close();
      await stop(nats);
    }
  },
});
