/**
 * Signed configuration end to end: `ferrohsm config sign` writes `FILE.sig`; a server
 * with `--config-public-key` starts with signed files and exits 2 on an unsigned or
 * altered one; a reload (SIGHUP, or `services.reload()` in process) with a bad
 * signature keeps the last good configuration and says so loudly, and a good one takes
 * effect.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseServeConfig } from "../../src/config/config.ts";
import { loadServerConfig } from "../../src/config/config_files.ts";
import { isHsmError } from "../../src/domain/errors.ts";
import { makeInstallation } from "../../testing/installation.ts";
import { client, runCli, startServerProcess } from "../../testing/server_process.ts";
import { makeTestApp } from "../routes/_app.ts";
import { pemPair } from "./_keys.ts";

const RBAC = (auditorGrants: string[]) =>
  JSON.stringify({
    version: 1,
    roles: {
      Administrator: ["*"],
      Auditor: auditorGrants,
    },
  });
const BUNDLE = JSON.stringify({
  version: 1,
  policies: [{
    id: "no-hmac",
    name: "no HMAC keys",
    scope: { actions: ["create"] },
    script: "export default (ctx) => ctx.key.algorithm !== 'HMAC-SHA256' || { deny: 'no HMAC' }",
  }],
});

async function sign(file: string, key: string): Promise<void> {
  const r = await runCli(["config", "sign", file, "--key", key]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /signed .* \(Ed25519\)/);
}

Deno.test("a server with --config-public-key starts only with signed, unaltered files", async () => {
  const inst = await makeInstallation();
  try {
    const { priv, pub } = await pemPair("Ed25519");
    const privFile = await inst.writeFile("config.key", priv);
    const pubFile = await inst.writeFile("config.pub", pub);
    const rbac = await inst.writeFile("rbac.json", RBAC(["key:read", "audit:read"]));
    const retention = await inst.writeFile(
      "retention.yaml",
      await Deno.readTextFile(new URL("../../config/retention.yaml", import.meta.url)),
    );
    const bundle = await inst.writeFile("bundle.json", BUNDLE);
    for (const f of [rbac, retention, bundle]) await sign(f, privFile);
    const verified = await runCli(["config", "verify", bundle, "--public-key", pubFile]);
    assert.equal(verified.code, 0, verified.stderr);
    const flags = inst.flags([
      "--policy-deadline-ms",
      "1000",
      "--config-public-key",
      pubFile,
      "--rbac-config",
      rbac,
      "--retention-config",
      retention,
      "--policy-bundle",
      bundle,
    ]);
    const server = await startServerProcess(flags);
    try {
      const admin = client(server.url, await inst.token("admin", ["Administrator"]));
      const hmac = await admin("POST", "/api/v1/keys", { name: "h", algorithm: "HMAC-SHA256" });
      assert.equal(hmac.status, 403, "the signed bundle's policy is in force");
      assert.equal(hmac.body.error.code, "policy_denied");
      const list = await admin("GET", "/api/v1/policies");
      assert.deepEqual(
        list.body.items.map((p: { id: string; source: string }) => [p.id, p.source]),
        [
          ["no-hmac", "bundle"],
        ],
      );
      assert.equal((await admin("DELETE", "/api/v1/policies/no-hmac")).status, 409);
    } finally {
      await server.stop();
    }

    // Altered after signing: refused at start with exit 2.
    await Deno.writeTextFile(rbac, RBAC(["*"]));
    await assert.rejects(
      startServerProcess(flags),
      /exited with 2[\s\S]*does not match its signature/,
    );
    await sign(rbac, privFile);
    // Unsigned: refused with exit 2.
    await Deno.remove(`${bundle}.sig`);
    await assert.rejects(
      startServerProcess(flags),
      /exited with 2[\s\S]*bundle\.json\.sig is missing/,
    );
  } finally {
    await inst.cleanup();
  }
});

Deno.test("a reload with a bad signature keeps the last good configuration; a good one applies", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { priv, pub } = await pemPair("Ed25519");
    const privFile = join(dir, "config.key");
    const pubFile = join(dir, "config.pub");
    const rbac = join(dir, "rbac.json");
    await Deno.writeTextFile(privFile, priv);
    await Deno.writeTextFile(pubFile, pub);
    await Deno.writeTextFile(rbac, RBAC(["key:read"]));
    await sign(rbac, privFile);
    const t = await makeTestApp(["--config-public-key", pubFile, "--rbac-config", rbac], {
      retentionScheduler: false,
    });
    try {
      const auditor = await t.inst.token("auditor", ["Auditor"]);
      const audit = () => t.call(auditor, "GET", "/api/v1/audit?limit=1");
      assert.equal((await audit()).status, 403);
      // Changed but not re-signed: refused, nothing changes.
      await Deno.writeTextFile(rbac, RBAC(["key:read", "audit:read"]));
      await assert.rejects(
        t.services.reload(),
        (err: unknown) => isHsmError(err, "invalid_request") && /does not match/.test(err.message),
      );
      assert.equal((await audit()).status, 403, "the last good matrix stays");
      await sign(rbac, privFile);
      await t.services.reload();
      assert.equal((await audit()).status, 200, "the signed change applies");
      const metrics = String((await t.call(undefined, "GET", "/metrics")).body);
      assert.match(metrics, /ferrohsm_config_reloads_total\{result="refused"\} 1/);
      assert.match(metrics, /ferrohsm_config_reloads_total\{result="ok"\} 1/);
    } finally {
      await t.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGHUP reloads a running server; a refused reload is logged and changes nothing", async () => {
  const inst = await makeInstallation();
  try {
    const { priv, pub } = await pemPair("Ed25519");
    const privFile = await inst.writeFile("config.key", priv);
    const pubFile = await inst.writeFile("config.pub", pub);
    const rbac = await inst.writeFile("rbac.json", RBAC(["key:read"]));
    await sign(rbac, privFile);
    const server = await startServerProcess(
      inst.flags(["--config-public-key", pubFile, "--rbac-config", rbac]),
    );
    try {
      const auditor = client(server.url, await inst.token("auditor", ["Auditor"]));
      await Deno.writeTextFile(rbac, RBAC(["key:read", "audit:read"]));
      Deno.kill(server.serverPid, "SIGHUP");
      await waitFor(() => /configuration reload REFUSED/.test(server.stderr()));
      assert.equal((await auditor("GET", "/api/v1/audit?limit=1")).status, 403);
      await sign(rbac, privFile);
      Deno.kill(server.serverPid, "SIGHUP");
      await waitFor(() => /configuration reloaded/.test(server.stderr()));
      assert.equal((await auditor("GET", "/api/v1/audit?limit=1")).status, 200);
    } finally {
      await server.stop();
    }
  } finally {
    await inst.cleanup();
  }
});

Deno.test("an unsigned file under a configuration key is refused by the loader", async () => {
  const inst = await makeInstallation();
  try {
    const { pub } = await pemPair("ES256");
    const pubFile = await inst.writeFile("config.pub", pub);
    const approvals = await inst.writeFile("approvals.json", "{}");
    await assert.rejects(
      loadServerConfig(
        parseServeConfig(
          inst.flags(["--config-public-key", pubFile, "--approval-policy", approvals]),
        ),
      ),
      (err: unknown) => isHsmError(err, "invalid_request") && /is not signed/.test(err.message),
    );
    // Without a key the same file loads.
    const config = await loadServerConfig(
      parseServeConfig(inst.flags(["--approval-policy", approvals])),
    );
    assert.deepEqual(config.files.signed, []);
  } finally {
    await inst.cleanup();
  }
});

/** Polls `check` every 50 ms for at most 10 s. */
async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("condition not met in time");
}
