/**
 * Audit streaming end to end: the real server, started through the launcher with its
 * derived least-privilege permissions, forwards every committed entry to a TCP syslog
 * collector and to a real nats-server (JetStream); both catch up after an outage, and
 * their lag shows in /healthz and /metrics. The NATS part is skipped without nats-server.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { connect } from "nats";
import { makeInstallation } from "../../testing/installation.ts";
import { client, startServerProcess } from "../../testing/server_process.ts";
import { datagramCollector, streamCollector, until } from "../audit/sinks/_receivers.ts";

const hasNats = await new Deno.Command("nats-server", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
})
  .output().then((o) => o.success, () => false);

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function startNats(port: number, storeDir: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command("nats-server", {
    args: ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir],
    stdout: "null",
    stderr: "null",
  }).spawn();
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

async function streamCount(url: string): Promise<number> {
  const nc = await connect({ servers: url });
  try {
    return (await (await nc.jetstreamManager()).streams.info("AUDIT")).state.messages;
  } catch {
    return 0;
  } finally {
    await nc.close();
  }
}

/** The stream's message count once it reaches `n` (bounded: 15 s). */
async function waitStream(url: string, n: number): Promise<number> {
  let count = await streamCount(url);
  for (let i = 0; i < 300 && count < n; i++) {
    await new Promise((r) => setTimeout(r, 50));
    count = await streamCount(url);
  }
  return count;
}

Deno.test({
  name: "the server streams every audit entry to syslog and NATS and catches up after outages",
  ignore: !hasNats,
  fn: async () => {
    const inst = await makeInstallation();
    const syslogPort = freePort();
    const natsPort = freePort();
    let collector = streamCollector(syslogPort);
    const udp = await datagramCollector();
    let nats = await startNats(natsPort, join(inst.dir, "js"));
    const natsUrl = `nats://127.0.0.1:${natsPort}`;
    const server = await startServerProcess(inst.flags([
      "--audit-syslog",
      `tcp://127.0.0.1:${syslogPort},udp://127.0.0.1:${udp.port}`,
      "--audit-nats",
      natsUrl,
      "--audit-nats-stream",
      "AUDIT",
    ]));
    try {
      const api = client(server.url, await inst.token("admin", ["Administrator"]));
      const head = async () => (await api("GET", "/healthz")).body.audit_head_seq as number;
      for (let i = 0; i < 5; i++) {
        assert.equal(
          (await api("POST", "/api/v1/keys", { name: `k${i}`, algorithm: "AES-256-GCM" })).status,
          201,
        );
      }
      let seq = await head();
      await until(() => collector.seqs().length === seq, "syslog");
      await until(() => udp.seqs().length === seq, "syslog over UDP");
      assert.deepEqual(udp.seqs(), collector.seqs());
      assert.equal(await waitStream(natsUrl, seq), seq);

      // Both sinks go down; requests still succeed and entries wait.
      await collector.stop();
      nats.kill("SIGTERM");
      await nats.status;
      for (let i = 5; i < 10; i++) {
        assert.equal(
          (await api("POST", "/api/v1/keys", { name: `k${i}`, algorithm: "AES-256-GCM" })).status,
          201,
        );
      }
      seq = await head();
      const health = await api("GET", "/healthz");
      // The TCP syslog collector and NATS are down and lag; the UDP collector is still up
      // (UDP cannot notice a dead receiver anyway), so its lag may already be back to 0.
      const lags = health.body.audit_sinks.map((s: { lag: number }) => s.lag);
      assert.ok(
        lags.filter((l: number) => l > 0).length >= 2,
        JSON.stringify(health.body.audit_sinks),
      );
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /ferrohsm_audit_sink_lag_entries\{sink="syslog-[0-9a-f]{8}"\} [1-9]/);
      assert.match(metrics, /ferrohsm_audit_sink_lag_entries\{sink="nats-[0-9a-f]{8}"\} [1-9]/);

      const before = collector.messages.slice();
      collector = streamCollector(syslogPort);
      nats = await startNats(natsPort, join(inst.dir, "js"));
      await until(() => collector.messages.length >= seq - before.length, "syslog catch-up");
      const seqs = [...before, ...collector.messages].map((m) =>
        Number(/ seq="(\d+)"/.exec(m)?.[1])
      );
      assert.deepEqual(seqs, Array.from({ length: seq }, (_, i) => i + 1));
      assert.equal(await waitStream(natsUrl, seq), seq);
    } finally {
      await server.stop();
      await collector.stop().catch(() => undefined); // already stopped when a check failed
      await udp.stop();
      nats.kill("SIGTERM");
      await nats.status;
      await inst.cleanup();
    }
  },
});
