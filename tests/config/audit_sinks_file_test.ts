import assert from "node:assert/strict";
import { join } from "node:path";
import {
  loadAuditSinksFile,
  mergeSinks,
  parseAuditSinksFile,
} from "../../src/config/audit_sinks_file.ts";
import { parseServeConfig } from "../../src/config/config.ts";
import { loadServerConfig } from "../../src/config/config_files.ts";
import { servePermissions } from "../../src/cli/permissions.ts";
import { isHsmError } from "../../src/domain/errors.ts";

function refused(text: string, pattern: RegExp): void {
  assert.throws(() => parseAuditSinksFile(text, "/etc/hsm/sinks.json"), (err: unknown) => {
    assert.ok(isHsmError(err) && err.code === "invalid_request");
    assert.match((err as Error).message, /^Invalid audit sinks config \/etc\/hsm\/sinks\.json: /);
    assert.match((err as Error).message, pattern);
    return true;
  });
}

Deno.test("the audit sinks file lists syslog and NATS sinks, CA files relative to it", () => {
  const specs = parseAuditSinksFile(
    JSON.stringify({
      description: "SIEM and bus",
      syslog: [{ url: "tls://siem:6514", ca_file: "siem-ca.pem" }, { url: "udp://10.0.0.9:514" }],
      nats: [{ url: "nats://a:4222, nats://b:4222", stream: "AUDIT" }],
    }),
    "/etc/hsm/sinks.json",
  );
  assert.deepEqual(specs, [
    {
      kind: "syslog",
      url: "tls://siem:6514",
      transport: "tls",
      hostname: "siem",
      port: 6514,
      caFile: "/etc/hsm/siem-ca.pem",
    },
    {
      kind: "syslog",
      url: "udp://10.0.0.9:514",
      transport: "udp",
      hostname: "10.0.0.9",
      port: 514,
    },
    { kind: "nats", url: "nats://a:4222,nats://b:4222", stream: "AUDIT" },
  ]);
});

Deno.test("a bad audit sinks file is refused naming the file and the problem", () => {
  refused("{", /not valid JSON/);
  refused('{"kafka":[]}', /Unrecognized key/i);
  refused('{"syslog":[{"url":"http://x:1"}]}', /--audit-syslog/);
  refused('{"nats":[{"url":"nats://x:1","stream":"a b"}]}', /stream/);
});

Deno.test("one destination configured twice (flag and file) is refused", () => {
  const spec = parseAuditSinksFile('{"syslog":[{"url":"tcp://h:514"}]}', "/f.json");
  assert.throws(() => mergeSinks(spec, spec), /configured twice/);
  assert.equal(mergeSinks(spec, []).length, 1);
});

Deno.test("the server config and the launcher both read the sinks file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-sinks-" });
  try {
    const file = join(dir, "sinks.json");
    await Deno.writeTextFile(file, '{"nats":[{"url":"nats://bus:4222"}]}');
    const config = parseServeConfig(
      ["--audit-sinks-config", file, "--audit-syslog", "tcp://siem:514", "--data-dir", dir],
      () => undefined,
      "/",
    );
    const server = await loadServerConfig(config);
    assert.deepEqual(server.files.auditSinks.map((s) => s.url), [
      "tcp://siem:514",
      "nats://bus:4222",
    ]);
    const net = servePermissions(config).find((f) => f.startsWith("--allow-net="));
    assert.equal(
      net,
      `--allow-net=127.0.0.1:8443,unix:${join(dir, "ferrohsm-http.sock")},siem:514,bus:4222`,
    );
    assert.ok(
      servePermissions(config).some((f) => f.startsWith("--allow-read=") && f.includes(file)),
    );
    assert.deepEqual(await loadAuditSinksFile(undefined), []);
    await assert.rejects(
      loadAuditSinksFile(join(dir, "missing.json")),
      /Invalid audit sinks config/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
