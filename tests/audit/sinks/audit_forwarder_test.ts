import assert from "node:assert/strict";
import { AuditLog } from "../../../src/audit/audit_log.ts";
import { AuditForwarder, type AuditSink } from "../../../src/audit/sinks/audit_forwarder.ts";
import { SinkCursor } from "../../../src/audit/sinks/sink_cursor.ts";
import type { AuditEntry } from "../../../src/domain/audit_entry.ts";
import { MemoryAuditStore } from "../../../src/storage/memory/audit_store.ts";
import { tempDir, testMacKey } from "../_helpers.ts";

/** A sink that records what it accepted and fails while `down` is set. */
class FakeSink implements AuditSink {
  readonly kind = "fake";
  readonly received: number[] = [];
  down = false;
  attempts = 0;
  send(entries: readonly AuditEntry[]): Promise<void> {
    this.attempts++;
    if (this.down) return Promise.reject(new Deno.errors.ConnectionRefused("down"));
    this.received.push(...entries.map((e) => e.seq));
    return Promise.resolve();
  }
  connected(): boolean {
    return !this.down;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), `timed out waiting for ${what}`);
}

function append(log: AuditLog, i: number): Promise<AuditEntry> {
  return log.append({ actor: "alice", action: "key.sign", keyId: `k${i}`, result: "ok" });
}

Deno.test("committed entries are forwarded once, in order, and the cursor is durable", async () => {
  const dir = await tempDir();
  const log = await AuditLog.open(new MemoryAuditStore(), await testMacKey());
  const sink = new FakeSink();
  const cursor = new SinkCursor(`${dir}/s.cursor`);
  const forwarder = new AuditForwarder({ id: "fake-1", sink, source: log, cursor, batchSize: 3 });
  try {
    for (let i = 0; i < 4; i++) await append(log, i);
    await forwarder.start();
    for (let i = 4; i < 10; i++) {
      await append(log, i);
      forwarder.notify();
    }
    await until(() => forwarder.stats().lag === 0, "catch-up");
    assert.deepEqual(sink.received, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Closing waits for the cursor write of the last batch.
    await forwarder.close();
    assert.equal(await cursor.read(), 10);
    assert.equal(forwarder.stats().forwarded, 10);
  } finally {
    await forwarder.close();
    await log.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failing sink never blocks appends and catches up after the outage", async () => {
  const dir = await tempDir();
  const log = await AuditLog.open(new MemoryAuditStore(), await testMacKey());
  const sink = new FakeSink();
  const forwarder = new AuditForwarder({
    id: "fake-1",
    sink,
    source: log,
    cursor: new SinkCursor(`${dir}/s.cursor`),
    retryMinMs: 5,
    retryMaxMs: 20,
  });
  try {
    await forwarder.start();
    await append(log, 1);
    forwarder.notify();
    await until(() => sink.received.length === 1, "first entry");
    sink.down = true;
    for (let i = 2; i <= 50; i++) {
      await append(log, i);
      forwarder.notify();
    }
    assert.equal(log.head().seq, 50);
    await until(() => forwarder.stats().failures >= 2, "failures");
    const during = forwarder.stats();
    assert.equal(during.lag, 49);
    assert.equal(during.lastError, "ConnectionRefused");
    assert.equal(during.connected, false);
    sink.down = false;
    await until(() => forwarder.stats().lag === 0, "catch-up");
    assert.deepEqual(sink.received, Array.from({ length: 50 }, (_, i) => i + 1));
    assert.equal(forwarder.stats().lastError, undefined);
  } finally {
    await forwarder.close();
    await log.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a restarted forwarder resumes after its cursor", async () => {
  const dir = await tempDir();
  const log = await AuditLog.open(new MemoryAuditStore(), await testMacKey());
  const cursor = new SinkCursor(`${dir}/s.cursor`);
  try {
    for (let i = 0; i < 5; i++) await append(log, i);
    await cursor.write(3);
    const sink = new FakeSink();
    const forwarder = new AuditForwarder({ id: "fake-1", sink, source: log, cursor });
    await forwarder.start();
    await until(() => forwarder.stats().lag === 0, "catch-up");
    await forwarder.close();
    assert.deepEqual(sink.received, [4, 5]);
  } finally {
    await log.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a cursor past the audit head restarts from the head", async () => {
  const dir = await tempDir();
  const log = await AuditLog.open(new MemoryAuditStore(), await testMacKey());
  const cursor = new SinkCursor(`${dir}/s.cursor`);
  try {
    await append(log, 1);
    await cursor.write(99);
    const sink = new FakeSink();
    const forwarder = new AuditForwarder({ id: "fake-1", sink, source: log, cursor });
    await forwarder.start();
    assert.equal(forwarder.stats().cursor, 1);
    await append(log, 2);
    forwarder.notify();
    await until(() => sink.received.length === 1, "new entry");
    await forwarder.close();
    assert.deepEqual(sink.received, [2]);
  } finally {
    await log.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a corrupt cursor file refuses to start rather than resend or skip", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/s.cursor`, '{"seq":-1}');
    await assert.rejects(new SinkCursor(`${dir}/s.cursor`).read(), TypeError);
    assert.equal(await new SinkCursor(`${dir}/absent.cursor`).read(), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
