import assert from "node:assert/strict";
import { join } from "node:path";
import { AuditLog } from "../../../src/audit/audit_log.ts";
import { AuditSinks } from "../../../src/audit/sinks/audit_sinks.ts";
import { SyslogSink } from "../../../src/audit/sinks/syslog_sink.ts";
import { MemoryAuditStore } from "../../../src/storage/memory/audit_store.ts";
import { hasOpenssl, makePki } from "../../../testing/pki.ts";
import { chainOf, tempDir, testMacKey } from "../_helpers.ts";
import { datagramCollector, streamCollector, until } from "./_receivers.ts";

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function appendN(log: AuditLog, sinks: AuditSinks, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await log.append({ actor: "alice", action: "key.sign", keyId: `k${i}`, result: "ok" });
    sinks.notify();
  }
}

Deno.test("TCP syslog gets every entry once, in order, across a collector restart", async () => {
  const dir = await tempDir();
  let collector = streamCollector();
  const port = collector.port;
  const log = await AuditLog.open(new MemoryAuditStore(), await testMacKey());
  const url = `tcp://127.0.0.1:${port}`;
  const spec = { kind: "syslog", url, transport: "tcp", hostname: "127.0.0.1", port } as const;
  let sinks = await AuditSinks.open({
    specs: [spec],
    dataDir: dir,
    source: log,
    hostname: "hsm-test",
    retryMinMs: 20,
    retryMaxMs: 100,
  });
  const all: string[] = [];
  try {
    await appendN(log, sinks, 20);
    await until(() => collector.seqs().length === 20, "first 20");
    all.push(...collector.messages);
    await collector.stop();
    // The sink notices the closed connection; entries committed meanwhile wait.
    await until(() => sinks.stats()[0]?.connected === false, "disconnect");
    await appendN(log, sinks, 20);
    await until(() => (sinks.stats()[0]?.failures ?? 0) >= 1, "a failed delivery");
    assert.equal(sinks.stats()[0]?.lag, 20);
    collector = streamCollector(port);
    await until(() => collector.seqs().length === 20, "catch-up");
    all.push(...collector.messages);
    // A server restart resumes from the durable cursor, without resending.
    await sinks.close();
    await appendN(log, sinks, 5);
    sinks = await AuditSinks.open({ specs: [spec], dataDir: dir, source: log, hostname: "h" });
    await until(() => collector.seqs().length === 25, "after restart");
    all.push(...collector.messages.slice(20));
    const seqs = all.map((m) => Number(/ seq="(\d+)"/.exec(m)?.[1]));
    assert.deepEqual(seqs, range(1, 45));
    assert.match(all[0] ?? "", /^<110>1 \S+ hsm-test ferrohsm \d+ key\.sign \[ferrohsm@32473 /);
  } finally {
    await sinks.close();
    await collector.stop();
    await log.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "TLS syslog verifies the collector against the configured CA",
  ignore: !hasOpenssl,
  fn: async () => {
    const dir = await tempDir();
    const pki = await makePki(dir);
    const collector = streamCollector(0, {
      cert: await Deno.readTextFile(pki.server.cert),
      key: await Deno.readTextFile(pki.server.key),
    });
    const entries = await chainOf(await testMacKey(), 3);
    const trusted = new SyslogSink({
      transport: "tls",
      hostname: "127.0.0.1",
      port: collector.port,
      caCerts: [await Deno.readTextFile(pki.ca)],
      header: { hostname: "h" },
    });
    const untrusted = new SyslogSink({
      transport: "tls",
      hostname: "127.0.0.1",
      port: collector.port,
      caCerts: [await Deno.readTextFile(join(dir, "other-ca.pem"))],
      header: { hostname: "h" },
    });
    try {
      await trusted.send(entries);
      await until(() => collector.seqs().length === 3, "three messages");
      assert.deepEqual(collector.seqs(), [1, 2, 3]);
      await assert.rejects(untrusted.send(entries));
      assert.equal(untrusted.connected(), false);
    } finally {
      await trusted.close();
      await untrusted.close();
      await collector.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("UDP syslog sends one datagram per entry", async () => {
  const collector = await datagramCollector();
  const sink = new SyslogSink({
    transport: "udp",
    hostname: "127.0.0.1",
    port: collector.port,
    header: { hostname: "h" },
  });
  try {
    await sink.send(await chainOf(await testMacKey(), 5));
    await until(() => collector.messages.length === 5, "five datagrams");
    assert.deepEqual(collector.seqs(), [1, 2, 3, 4, 5]);
    assert.equal(collector.messages.every((m) => m.startsWith("<110>1 ")), true);
  } finally {
    await sink.close();
    await collector.stop();
  }
});

Deno.test("a syslog collector that is not there fails the batch quickly", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const sink = new SyslogSink({
    transport: "tcp",
    hostname: "127.0.0.1",
    port,
    header: { hostname: "h" },
  });
  try {
    await assert.rejects(
      sink.send(await chainOf(await testMacKey(), 1)),
      Deno.errors.ConnectionRefused,
    );
  } finally {
    await sink.close();
  }
});
