/**
 * The keyset file as the running server sees it: a malformed file keeps the last good
 * keyset, loudly (an error log line, `ferrohsm_jwks_stale` and the reload-failure
 * counter, `keyset.stale` in the authenticated health report); an emptied keyset
 * (`{"keys": []}`) refuses every token within the reload interval.
 */

import assert from "node:assert/strict";
import { makeInstallation } from "../../testing/installation.ts";
import { type ApiResponse, client, startServerProcess } from "../../testing/server_process.ts";

async function until(
  what: string,
  probe: () => Promise<boolean>,
  attempts = 50,
): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

Deno.test("a malformed keyset keeps the last good keys loudly; an emptied keyset refuses every token", async () => {
  const inst = await makeInstallation();
  const server = await startServerProcess(inst.flags(["--listen", "127.0.0.1:0"]));
  try {
    const token = await inst.token("admin", ["Administrator"]);
    const admin = client(server.url, token);
    const metric = async (name: string) => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
    };
    assert.equal((await admin("GET", "/api/v1/keys")).status, 200);
    assert.equal(await metric("ferrohsm_jwks_stale"), 0);
    assert.ok((await metric("ferrohsm_jwks_keys")) >= 1);

    const good = await Deno.readTextFile(inst.keysetFile);
    await Deno.writeTextFile(inst.keysetFile, '{"keys": [');
    await until("the failed reload", async () => {
      await admin("GET", "/api/v1/keys");
      return (await metric("ferrohsm_jwks_stale")) === 1;
    });
    assert.equal((await admin("GET", "/api/v1/keys")).status, 200, "last good keyset in use");
    assert.ok((await metric("ferrohsm_jwks_reload_failures_total")) >= 1);
    const health = await admin("GET", "/healthz");
    assert.equal(health.body.keyset.stale, true);
    assert.match(health.body.keyset.lastError.message, /not valid JSON/);
    assert.match(server.stderr(), /JWT keyset reload failed/);

    await Deno.writeTextFile(inst.keysetFile, good);
    await until("the repaired keyset", async () => {
      await admin("GET", "/api/v1/keys");
      return (await metric("ferrohsm_jwks_stale")) === 0;
    });

    await Deno.writeTextFile(inst.keysetFile, '{"keys": []}');
    let refused: ApiResponse | undefined;
    await until("every token refused", async () => {
      refused = await admin("GET", "/api/v1/keys");
      return refused.status === 401;
    });
    assert.equal(refused?.body.error.code, "unauthenticated");
    assert.equal(await metric("ferrohsm_jwks_keys"), 0);
    assert.equal(await metric("ferrohsm_jwks_stale"), 0);
    const minimal = await admin("GET", "/healthz");
    assert.deepEqual(Object.keys(minimal.body).sort(), ["status", "uptime_s"]);
  } finally {
    await server.stop();
    await inst.cleanup();
  }
});
