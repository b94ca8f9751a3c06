import assert from "node:assert/strict";
import { join } from "node:path";
import { servePermissions } from "../../src/cli/permissions.ts";
import { StartupError } from "../../src/server/startup_error.ts";
import { parseServeConfig } from "../../src/config/config.ts";
import { HsmError } from "../../src/domain/errors.ts";
import { loadInstallationId } from "../../src/pkcs11/installation_id.ts";
import { pkcs11TokenDir, startPkcs11Server } from "../../src/server/pkcs11_socket.ts";

const noEnv = () => undefined;

Deno.test("--pkcs11-socket and FERROHSM_PKCS11_SOCKET set the socket path (absolute)", () => {
  assert.equal(parseServeConfig([], noEnv).pkcs11Socket, undefined);
  const flag = parseServeConfig(["--pkcs11-socket", "run/p11.sock"], noEnv, "/srv");
  assert.equal(flag.pkcs11Socket, "/srv/run/p11.sock");
  const env = parseServeConfig(
    [],
    (n) => n === "FERROHSM_PKCS11_SOCKET" ? "/run/f/p.sock" : undefined,
  );
  assert.equal(env.pkcs11Socket, "/run/f/p.sock");
  assert.throws(() => parseServeConfig(["--pkcs11-socket", "/run/a,b"], noEnv), HsmError);
  const dir = parseServeConfig(
    ["--data-dir", "/d", "--pkcs11-token-dir", "/etc/ferrohsm/tokens"],
    noEnv,
  );
  assert.equal(pkcs11TokenDir(dir), "/etc/ferrohsm/tokens");
  assert.equal(pkcs11TokenDir(parseServeConfig(["--data-dir", "/d"], noEnv)), "/d/pkcs11-tokens");
});

Deno.test("the launcher grants the unix socket, its directory and the token directory", () => {
  const config = parseServeConfig([
    "--data-dir",
    "/d",
    "--pkcs11-socket",
    "/run/ferrohsm/p11.sock",
    "--pkcs11-token-dir",
    "/etc/t",
  ], noEnv); // deno-fmt-ignore
  const flags = servePermissions(config, "/app/");
  const flag = (name: string) =>
    flags.find((f) => f.startsWith(`--allow-${name}=`))?.split("=")[1]?.split(",") ?? [];
  assert.deepEqual(flag("net"), [
    "127.0.0.1:8443",
    "unix:/d/ferrohsm-http.sock",
    "unix:/run/ferrohsm/p11.sock",
  ]);
  for (const p of ["/run/ferrohsm", "/run/ferrohsm/p11.sock", "/etc/t"]) {
    assert.ok(flag("read").includes(p), p);
  }
  assert.ok(flag("write").includes("/run/ferrohsm/p11.sock"));
  assert.ok(!flag("write").includes("/run/ferrohsm"));
  const without = servePermissions(parseServeConfig(["--data-dir", "/d"], noEnv), "/app/");
  assert.ok(!without.some((f) => f.includes("p11.sock")));
}); // deno-fmt-ignore

Deno.test("no socket is started without the flag; an unsafe directory is a start-up error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-p11-" });
  try {
    const services = { limits: { actor: {} } } as unknown as Parameters<typeof startPkcs11Server>[0];
    const log = { log: () => {} };
    assert.equal(await startPkcs11Server(services, { dataDir: dir }, log), undefined);
    const open = join(dir, "open");
    await Deno.mkdir(open);
    await Deno.chmod(open, 0o777);
    const config = { dataDir: dir, pkcs11Socket: join(open, "p11.sock") };
    const err = await startPkcs11Server(services, config, log).catch((e) => e);
    assert.ok(err instanceof StartupError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /world-writable/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the installation id is created once and then read back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-p11-" });
  try {
    const first = await loadInstallationId(dir);
    assert.match(first, /^[0-9a-f]{16}$/);
    assert.equal(await loadInstallationId(dir), first);
    assert.equal(((await Deno.stat(join(dir, "installation-id"))).mode ?? 0) & 0o777, 0o600);
    await Deno.writeTextFile(join(dir, "installation-id"), "not an id\n");
    await assert.rejects(() => loadInstallationId(dir), HsmError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
