/**
 * The syslog sink against Debian's rsyslog (imtcp, octet-counted framing): rsyslog must
 * parse each message as RFC 5424 (its MSGID and structured data are read back from the
 * parsed properties), across an rsyslog restart. Skipped when `rsyslogd` is absent.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { AuditLog } from "../../../src/audit/audit_log.ts";
import { AuditSinks } from "../../../src/audit/sinks/audit_sinks.ts";
import { MemoryAuditStore } from "../../../src/storage/memory/audit_store.ts";
import { tempDir, testMacKey } from "../_helpers.ts";
import { until } from "./_receivers.ts";

const hasRsyslog = await new Deno.Command("rsyslogd", {
  args: ["-v"],
  stdout: "null",
  stderr: "null",
})
  .output().then((o) => o.success, () => false);
if (!hasRsyslog) {
  // deno-lint-ignore no-console -- tell the runner why the test is skipped
  console.warn("rsyslog_test: rsyslogd not found (apt-get install -y rsyslog); skipping");
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function startRsyslog(dir: string, port: number): Promise<Deno.ChildProcess> {
  const conf = join(dir, "rsyslog.conf");
  await Deno.writeTextFile(
    conf,
    `global(workDirectory="${dir}")
module(load="imtcp")
input(type="imtcp" port="${port}" address="127.0.0.1")
template(name="sd" type="string" string="%msgid% %app-name% %structured-data%\\n")
*.* action(type="omfile" file="${join(dir, "out.log")}" template="sd")
`,
  );
  const child = new Deno.Command("rsyslogd", {
    args: ["-n", "-f", conf, "-i", join(dir, "rsyslogd.pid")],
    stdout: "null",
    stderr: "null",
  }).spawn();
  // Ready once the port accepts connections.
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
  throw new Error("rsyslogd did not start");
}

async function stopRsyslog(child: Deno.ChildProcess): Promise<void> {
  child.kill("SIGTERM");
  await child.status;
}

async function lines(dir: string): Promise<string[]> {
  const text = await Deno.readTextFile(join(dir, "out.log")).catch(() => "");
  return text.split("\n").filter((l) => l !== "");
}

/** The output lines once there are `n` of them (bounded: 10 s). */
async function waitLines(dir: string, n: number): Promise<string[]> {
  let current = await lines(dir);
  for (let i = 0; i < 400 && current.length < n; i++) {
    await new Promise((r) => setTimeout(r, 25));
    current = await lines(dir);
  }
  return current;
}

Deno.test({
  name: "rsyslog parses every forwarded entry as RFC 5424, in order, across its restart",
  ignore: !hasRsyslog,
  fn: async () => {
    const dir = await tempDir();
    const port = freePort();
    let rsyslog = await startRsyslog(dir, port);
    const log = await AuditLog.open(new MemoryAuditStore(), await testMacKey());
    const sinks = await AuditSinks.open({
      specs: [{
        kind: "syslog",
        url: `tcp://127.0.0.1:${port}`,
        transport: "tcp",
        hostname: "127.0.0.1",
        port,
      }],
      dataDir: dir,
      source: log,
      hostname: "hsm-test",
      retryMinMs: 50,
      retryMaxMs: 200,
    });
    try {
      const append = async (n: number) => {
        for (let i = 0; i < n; i++) {
          await log.append({ actor: 'a"b', action: "key.create", keyId: `k${i}`, result: "ok" });
          sinks.notify();
        }
      };
      await append(10);
      assert.equal((await waitLines(dir, 10)).length, 10);
      await stopRsyslog(rsyslog);
      await until(() => sinks.stats()[0]?.connected === false, "disconnect");
      await append(10);
      rsyslog = await startRsyslog(dir, port);
      const current = await waitLines(dir, 20);
      const seqs = current.map((l) => Number(/ seq="(\d+)"/.exec(l)?.[1]));
      assert.deepEqual(seqs, Array.from({ length: 20 }, (_, i) => i + 1));
      assert.match(
        current[0] ?? "",
        /^key\.create ferrohsm \[ferrohsm@32473 seq="1" actor="a\\"b" action="key\.create" key="k0" result="ok" hash="[0-9a-f]{64}" prev="0{64}"\]$/,
      );
    } finally {
      await sinks.close();
      await log.close();
      await stopRsyslog(rsyslog);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
