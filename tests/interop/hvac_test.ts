/**
 * The Vault Transit bridge with the real hvac client (Debian `python3-hvac`) against a
 * real server: `hvac_transit.py` creates, reads, lists, rotates, encrypts and decrypts
 * (an old version after rotation), rewraps, makes data keys, HMACs, signs and verifies
 * (ecdsa-p256, rsa-2048, ed25519; openssl checks the signatures against the public keys
 * hvac read), runs batches, and sees a bad token as hvac's `Forbidden`; the audit log
 * then shows the calls with their key and request ids.
 *
 * Over TLS (Deno.serve) hvac runs unchanged, listing with the HTTP `LIST` method. Over
 * mutual TLS the listener is node:https, whose HTTP parser refuses methods it does not
 * know with 400 before FerroHSM sees the request, so there hvac lists with
 * `strict_http=True` (`GET ?list=true`); docs/transit.md says so.
 */

import assert from "node:assert/strict";
import { type Installation, makeInstallation } from "../../testing/installation.ts";
import { type CertFiles, hasOpenssl, makePki, type TestPki, tlsClient } from "../../testing/pki.ts";
import { jsonRequest, readResponse, startServerProcess } from "../../testing/server_process.ts";
import { pythonHas, runPython } from "./_debian_python.ts";

const HAS_HVAC = hasOpenssl && await pythonHas("hvac");
const SKIP = HAS_HVAC ? "" : " (skipped: install Debian python3-hvac and openssl)";
const SCRIPT = new URL("./hvac_transit.py", import.meta.url).pathname;

interface AuditRow {
  actor: string;
  action: string;
  key_id: string | null;
  result: string;
  request_id?: string;
}

/** Starts a TLS server (mutual when `mutual`), runs the hvac script, checks the audit. */
async function hvacRun(mutual: boolean): Promise<void> {
  const inst: Installation = await makeInstallation();
  const pki: TestPki = await makePki(inst.dir);
  const tls = ["--tls-cert", pki.server.cert, "--tls-key", pki.server.key];
  const server = await startServerProcess(
    inst.flags(mutual ? [...tls, "--tls-client-ca", pki.ca] : tls),
  );
  const identity: CertFiles | undefined = mutual ? pki.client1 : undefined;
  const http = await tlsClient(pki, identity);
  try {
    const token = await inst.token("hvac-app", ["Operator"]);
    const args = [SCRIPT, server.url, token, "--ca", pki.ca];
    if (identity !== undefined) {
      args.push("--cert", identity.cert, "--key", identity.key, "--strict-http");
    }
    const run = await runPython(args);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^\d+ passed, 0 failed$/m);

    const call = async (method: string, path: string, token: string) =>
      await readResponse(
        await fetch(`${server.url}${path}`, { ...jsonRequest(method, token), client: http }),
      );
    const auditor = await inst.token("auditor", ["Auditor"]);
    const res = await call("GET", "/api/v1/audit?limit=1000", auditor);
    assert.equal(res.status, 200);
    const mine = (res.body.items as AuditRow[]).filter((e) => e.actor === "hvac-app");
    for (const action of ["key.create", "key.encrypt", "key.decrypt", "key.sign", "key.mac"]) {
      assert.ok(mine.some((e) => e.action === action && e.result === "ok" && e.key_id), action);
    }
    assert.ok(mine.every((e) => typeof e.request_id === "string"), "every entry has a request id");
    assert.ok(mine.some((e) => e.action === "key.destroy.request" && e.result === "ok"));
    const list = await fetch(`${server.url}/v1/transit/keys`, {
      method: "LIST",
      headers: { "X-Vault-Token": token },
      client: http,
    });
    await list.body?.cancel().catch(() => undefined);
    assert.equal(list.status, mutual ? 400 : 200, "LIST reaches FerroHSM only over Deno.serve");
  } finally {
    http.close();
    await server.stop();
    await inst.cleanup();
  }
}

Deno.test({
  name: `hvac's transit client works unchanged against /v1/transit over TLS${SKIP}`,
  ignore: !HAS_HVAC,
  fn: () => hvacRun(false),
});

Deno.test({
  name: `over mutual TLS hvac works too, listing with strict_http${SKIP}`,
  ignore: !HAS_HVAC,
  fn: () => hvacRun(true),
});
