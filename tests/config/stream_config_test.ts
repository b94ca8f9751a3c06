import assert from "node:assert/strict";
import { parseServeConfig } from "../../src/config/config.ts";
import { isHsmError } from "../../src/domain/errors.ts";

const parse = (args: string[], env: Record<string, string> = {}) =>
  parseServeConfig(args, (n) => env[n], "/srv");

function refuses(args: string[], pattern: RegExp): void {
  assert.throws(() => parse(args), (err: unknown) => {
    assert.ok(isHsmError(err) && err.code === "invalid_request");
    assert.match((err as Error).message, pattern);
    return true;
  });
}

Deno.test("audit sink flags become sink specs, several syslog URLs comma-separated", () => {
  const config = parse([
    "--audit-syslog",
    "tcp://siem.example:6514,udp://[::1]:514,tls://127.0.0.1:6514",
    "--audit-syslog-ca",
    "ca.pem",
    "--audit-nats",
    "nats://127.0.0.1:4222",
    "--audit-nats-stream",
    "AUDIT",
  ]);
  assert.deepEqual(config.auditSinks, [
    {
      kind: "syslog",
      url: "tcp://siem.example:6514",
      transport: "tcp",
      hostname: "siem.example",
      port: 6514,
    },
    { kind: "syslog", url: "udp://[::1]:514", transport: "udp", hostname: "::1", port: 514 },
    {
      kind: "syslog",
      url: "tls://127.0.0.1:6514",
      transport: "tls",
      hostname: "127.0.0.1",
      port: 6514,
      caFile: "/srv/ca.pem",
    },
    { kind: "nats", url: "nats://127.0.0.1:4222", stream: "AUDIT" },
  ]);
  assert.deepEqual(parse([]).auditSinks, []);
  assert.equal(
    parse([], { FERROHSM_AUDIT_NATS: "nats://h:4222" }).auditSinks[0]?.kind,
    "nats",
  );
});

Deno.test("bad audit sink flags are refused naming the flag", () => {
  refuses(["--audit-syslog", "http://x:1"], /--audit-syslog/);
  refuses(["--audit-syslog", "tcp://x:70000"], /--audit-syslog/);
  refuses(["--audit-nats", "tcp://x:4222"], /--audit-nats/);
  refuses(["--audit-nats-stream", "A"], /without --audit-nats/);
  refuses(["--audit-nats", "nats://x:4222", "--audit-nats-stream", "a.b"], /--audit-nats-stream/);
});

Deno.test("ACME flags are validated and exclusive with --tls-cert", () => {
  const acme = [
    "--acme-directory",
    "https://acme.example/dir",
    "--acme-domain",
    "hsm.example,hsm2.example",
    "--acme-email",
    "ops@example.com",
    "--acme-cache-dir",
    "acme",
  ];
  const config = parse(["--listen", "10.0.0.1:8443", ...acme]);
  assert.deepEqual(config.acme, {
    directoryUrl: "https://acme.example/dir",
    domains: ["hsm.example", "hsm2.example"],
    email: "ops@example.com",
    cacheDir: "/srv/acme",
    httpHost: "10.0.0.1",
    httpPort: 80,
    renewDays: 30,
  });
  assert.equal(config.tlsReloadSeconds, undefined);
  assert.equal(config.ocspIntervalSeconds, 3600);
  refuses([...acme, "--tls-cert", "c", "--tls-key", "k"], /--tls-cert/);
  refuses(["--acme-domain", "x"], /without --acme-directory/);
  refuses(acme.slice(0, 2).concat(acme.slice(4)), /--acme-domain is required/);
  refuses([...acme.slice(0, 4), ...acme.slice(6)], /--acme-email/);
  refuses([...acme, "--acme-domain", "bad_name"], /--acme-domain/);
  refuses([...acme.slice(0, 1), "http://acme.example/dir", ...acme.slice(2)], /https URL/);
  refuses([...acme, "--acme-renew-days", "0"], /--acme-renew-days/);
  // mTLS with an ACME server certificate is allowed.
  assert.equal(parse([...acme, "--tls-client-ca", "ca.pem"]).tlsClientCa, "/srv/ca.pem");
});

Deno.test("reload and OCSP intervals are positive seconds", () => {
  assert.equal(parse(["--tls-reload-interval", "5"]).tlsReloadSeconds, 5);
  assert.equal(parse(["--ocsp-interval", "600"]).ocspIntervalSeconds, 600);
  refuses(["--tls-reload-interval", "0"], /--tls-reload-interval/);
  refuses(["--ocsp-interval", "soon"], /--ocsp-interval/);
});
