/**
 * The launcher's least-privilege derivation: read/write only the data dir and the files
 * named by flags, net only the listen address, env only FERROHSM_* (plus libSQL's one
 * name), FFI only the libSQL addon, and the V8 heap bound.
 */

import assert from "node:assert/strict";
import { parseServeConfig } from "../../src/config/config.ts";
import { servePermissions } from "../../src/cli/permissions.ts";

Deno.test("serve permissions are derived from the configuration and nothing broader", () => {
  const config = parseServeConfig(
    [
      "--listen",
      "127.0.0.1:9443",
      "--data-dir",
      "/srv/hsm",
      "--master-key-file",
      "/etc/hsm/m.key",
      "--hmac-key-file",
      "/etc/hsm/h.key",
      "--jwt-keyset",
      "/etc/hsm/jwks.json",
      "--sqlite-path",
      "/var/db/hsm.db",
      "--max-heap-mb",
      "256",
    ],
    () => undefined,
    "/",
  );
  const flags = servePermissions(config, "/opt/ferrohsm");
  const get = (name: string) =>
    flags.find((f) => f.startsWith(`${name}=`))?.split("=").slice(1).join("=");
  assert.ok(!flags.includes("-A") && !flags.includes("--allow-all"));
  assert.equal(get("--allow-net"), "127.0.0.1:9443,unix:/srv/hsm/ferrohsm-http.sock");
  assert.deepEqual(get("--allow-write")?.split(",").sort(), ["/srv/hsm", "/var/db"]);
  assert.deepEqual(
    get("--allow-read")?.split(",").sort(),
    [
      "/etc/hsm/h.key",
      "/etc/hsm/jwks.json",
      "/etc/hsm/m.key",
      "/opt/ferrohsm/audit_writer_worker.js",
      "/opt/ferrohsm/migrations",
      "/opt/ferrohsm/node_modules",
      "/opt/ferrohsm/offload_worker.js",
      "/opt/ferrohsm/src/core",
      "/opt/ferrohsm/src/domain",
      "/opt/ferrohsm/src/storage/sqlite/audit_writer_worker.ts",
      "/opt/ferrohsm/static",
      "/srv/hsm",
      "/var/db",
    ],
  );
  assert.equal(get("--allow-env"), "FERROHSM_*,LIBSQL_JS_DEV,LOG_TOKENS,LOG_STREAM");
  assert.equal(get("--allow-sys"), "cpus,networkInterfaces,hostname");
  assert.equal(get("--v8-flags"), "--max-old-space-size=256");
  assert.ok(flags.includes("--no-prompt"));
});

Deno.test("an IPv6 listen address is bracketed and a tiny heap bound is refused", () => {
  const flags = servePermissions(
    parseServeConfig(["--listen", "[::1]:0"], () => undefined, "/"),
    "/opt/ferrohsm",
  );
  assert.ok(flags.includes("--allow-net=[::1]:0,unix:/data/ferrohsm-http.sock"), flags.join(" "));
  assert.throws(
    () => parseServeConfig(["--max-heap-mb", "8"], () => undefined, "/"),
    /Invalid --max-heap-mb "8": expected an integer of at least 64/,
  );
});

Deno.test("audit sinks and ACME add exactly their peers, CA files and cache dir", () => {
  const config = parseServeConfig(
    [
      "--listen",
      "127.0.0.1:9443",
      "--data-dir",
      "/srv/hsm",
      "--audit-syslog",
      "tls://siem.example:6514,udp://[::1]:514",
      "--audit-syslog-ca",
      "/etc/hsm/siem-ca.pem",
      "--audit-nats",
      "nats://bus1:4222,nats://bus2",
      "--acme-directory",
      "https://acme.example/dir",
      "--acme-domain",
      "hsm.example",
      "--acme-email",
      "ops@example.com",
      "--acme-cache-dir",
      "/var/lib/hsm-acme",
      "--acme-http-listen",
      "0.0.0.0:8080",
    ],
    () => undefined,
    "/",
  );
  const flags = servePermissions(config, "/opt/ferrohsm");
  const get = (name: string) =>
    flags.find((f) => f.startsWith(`${name}=`))?.split("=").slice(1).join("=");
  assert.deepEqual(get("--allow-net")?.split(","), [
    "127.0.0.1:9443",
    "unix:/srv/hsm/ferrohsm-http.sock",
    "siem.example:6514",
    "[::1]:514",
    "[::]:0",
    "bus1:4222",
    "bus2:4222",
    "acme.example:443",
    "0.0.0.0:8080",
  ]);
  assert.ok(get("--allow-read")?.split(",").includes("/etc/hsm/siem-ca.pem"));
  assert.ok(get("--allow-read")?.split(",").includes("/var/lib/hsm-acme"));
  assert.ok(get("--allow-write")?.split(",").includes("/var/lib/hsm-acme"));
  // acme-client's debug dependency enumerates process.env at load.
  assert.ok(flags.includes("--allow-env"));
});

Deno.test("postgres stores add the database address, its secret files and PG* variables", () => {
  const config = parseServeConfig(
    [
      "--listen",
      "127.0.0.1:9443",
      "--data-dir",
      "/srv/hsm",
      "--key-store",
      "postgres",
      "--audit-store",
      "postgres",
      "--approval-store",
      "postgres",
      "--postgres-url",
      "postgres://ferrohsm@db.internal:6432/hsm",
      "--postgres-password-file",
      "/etc/hsm/db.password",
      "--postgres-ca-file",
      "/etc/hsm/db-ca.pem",
    ],
    () => undefined,
    "/",
  );
  const flags = servePermissions(config, "/opt/ferrohsm");
  const get = (name: string) =>
    flags.find((f) => f.startsWith(`${name}=`))?.split("=").slice(1).join("=");
  assert.equal(
    get("--allow-net"),
    "127.0.0.1:9443,unix:/srv/hsm/ferrohsm-http.sock,db.internal:6432",
  );
  assert.equal(get("--allow-env"), "FERROHSM_*,LIBSQL_JS_DEV,LOG_TOKENS,LOG_STREAM,PG*");
  const read = get("--allow-read")?.split(",") ?? [];
  assert.ok(read.includes("/etc/hsm/db.password") && read.includes("/etc/hsm/db-ca.pem"));
  // No SQLite file beside the data dir: nothing outside it is writable.
  assert.deepEqual(get("--allow-write")?.split(","), ["/srv/hsm"]);
});

Deno.test("the server may run only the deno binary, and read signed configuration's .sig files", () => {
  const config = parseServeConfig(
    [
      "--data-dir",
      "/srv/hsm",
      "--rbac-config",
      "/etc/hsm/rbac.json",
      "--retention-config",
      "/etc/hsm/retention.yaml",
      "--policy-bundle",
      "/etc/hsm/policies.json",
      "--config-public-key",
      "/etc/hsm/config.pub",
    ],
    () => undefined,
    "/",
  );
  const flags = servePermissions(config, "/opt/ferrohsm", "/opt/ferrohsm/deno");
  const get = (name: string) =>
    flags.find((f) => f.startsWith(`${name}=`))?.split("=").slice(1).join("=");
  assert.equal(get("--allow-run"), "/opt/ferrohsm/deno");
  assert.ok(!flags.includes("--allow-run"), "never every binary");
  const read = get("--allow-read")?.split(",") ?? [];
  for (
    const file of [
      "/etc/hsm/rbac.json",
      "/etc/hsm/rbac.json.sig",
      "/etc/hsm/retention.yaml",
      "/etc/hsm/retention.yaml.sig",
      "/etc/hsm/policies.json",
      "/etc/hsm/policies.json.sig",
      "/etc/hsm/config.pub",
    ]
  ) assert.ok(read.includes(file), file);
  assert.ok(!(get("--allow-write") ?? "").includes("/etc/hsm"));
});

Deno.test("without a configuration key no .sig file is readable", () => {
  const config = parseServeConfig(["--rbac-config", "/etc/hsm/rbac.json"], () => undefined, "/");
  const read = servePermissions(config, "/opt/ferrohsm", "/usr/bin/deno")
    .find((f) => f.startsWith("--allow-read="))?.split("=")[1]?.split(",") ?? [];
  assert.ok(read.includes("/etc/hsm/rbac.json"));
  assert.ok(!read.some((f) => f.endsWith(".sig")));
});

Deno.test("a cluster node with signed configuration, PKCS#11 and ACME gets every grant, each scoped", () => {
  const config = parseServeConfig(
    [
      "--listen",
      "127.0.0.1:9443",
      "--data-dir",
      "/srv/hsm",
      ...["key", "audit", "approval"].flatMap((s) => [`--${s}-store`, "postgres"]),
      "--postgres-url",
      "postgres://ferrohsm@db.internal:6432/hsm",
      "--retention-config",
      "/etc/hsm/retention.yaml",
      "--config-public-key",
      "/etc/hsm/config.pub",
      "--pkcs11-socket",
      "/run/hsm/p11.sock",
      "--acme-directory",
      "https://acme.example/dir",
      "--acme-domain",
      "hsm.example",
      "--acme-email",
      "ops@example.com",
      "--acme-cache-dir",
      "/var/lib/hsm-acme",
    ],
    () => undefined,
    "/",
  );
  const flags = servePermissions(config, "/opt/ferrohsm", "/opt/ferrohsm/deno");
  const get = (name: string) =>
    flags.find((f) => f.startsWith(`${name}=`))?.split("=").slice(1).join("=");
  assert.equal(get("--allow-run"), "/opt/ferrohsm/deno", "policy sandboxes: the deno binary only");
  const net = get("--allow-net")?.split(",") ?? [];
  for (const peer of ["127.0.0.1:9443", "db.internal:6432", "unix:/run/hsm/p11.sock"]) {
    assert.ok(net.includes(peer), peer);
  }
  const read = get("--allow-read")?.split(",") ?? [];
  for (
    const file of ["/etc/hsm/retention.yaml", "/etc/hsm/retention.yaml.sig", "/etc/hsm/config.pub"]
  ) {
    assert.ok(read.includes(file), file);
  }
  assert.ok(flags.includes("--allow-env"), "ACME's dependency reads the whole environment");
  assert.ok(
    !flags.includes("-A") && !flags.includes("--allow-all") && !flags.includes("--allow-run"),
  );
});

Deno.test("the SQLite writer module is readable when either the key or the audit store is SQLite", () => {
  const readOf = (stores: string[]) => {
    const config = parseServeConfig(
      [
        "--data-dir",
        "/srv/hsm",
        "--master-key-file",
        "/etc/hsm/m.key",
        "--hmac-key-file",
        "/etc/hsm/h.key",
        "--jwt-keyset",
        "/etc/hsm/jwks.json",
        ...stores,
      ],
      () => undefined,
      "/",
    );
    const flag = servePermissions(config, "/opt/ferrohsm").find((f) =>
      f.startsWith("--allow-read=")
    );
    return flag?.slice("--allow-read=".length).split(",") ?? [];
  };
  const worker = "/opt/ferrohsm/src/storage/sqlite/audit_writer_worker.ts";
  assert.ok(readOf(["--key-store", "sqlite", "--audit-store", "file"]).includes(worker));
  assert.ok(readOf(["--key-store", "memory", "--audit-store", "sqlite"]).includes(worker));
  assert.ok(!readOf(["--key-store", "memory", "--audit-store", "file"]).includes(worker));
});
