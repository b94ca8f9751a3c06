/**
 * `examples/ci-sign` end to end over mutual TLS: `sign.sh` mints a short-lived Service
 * token bound to the pipeline's client certificate, signs an artefact with a FerroHSM
 * EC-P256 key through the CLI and writes the detached signature and public key;
 * `verify.sh` checks it with openssl and refuses a modified artefact; the audit log
 * names the pipeline's subject.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { makeInstallation } from "../../testing/installation.ts";
import { hasOpenssl, makePki, tlsClient } from "../../testing/pki.ts";
import {
  jsonRequest,
  readResponse,
  ROOT,
  startServerProcess,
} from "../../testing/server_process.ts";

const SIGN = join(ROOT, "examples/ci-sign/sign.sh");
const VERIFY = join(ROOT, "examples/ci-sign/verify.sh");
const CLI = [
  Deno.execPath(),
  "run",
  "--no-prompt",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-ffi",
  "--allow-sys",
  join(ROOT, "main.ts"),
].join(" ");

async function bash(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command("bash", { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: `the CI signing step signs with a bound short-lived token and openssl verifies${
    hasOpenssl ? "" : " (skipped: install openssl)"
  }`,
  ignore: !hasOpenssl,
  async fn() {
    const inst = await makeInstallation();
    const pki = await makePki(inst.dir);
    const server = await startServerProcess(inst.flags([
      "--tls-cert",
      pki.server.cert,
      "--tls-key",
      pki.server.key,
      "--tls-client-ca",
      pki.ca,
    ]));
    const http = await tlsClient(pki, pki.client2);
    const call = async (method: string, path: string, token: string, body?: unknown) =>
      await readResponse(
        await fetch(`${server.url}${path}`, { ...jsonRequest(method, token, body), client: http }),
      );
    try {
      const admin = await inst.token("admin", ["Administrator"]);
      const key = await call("POST", "/api/v1/keys", admin, {
        name: "release-signing",
        algorithm: "EC-P256",
      });
      assert.equal(key.status, 201);
      const artefact = join(inst.dir, "app-1.0.tar.gz");
      await Deno.writeFile(artefact, crypto.getRandomValues(new Uint8Array(65_536)));
      const out = join(inst.dir, "signed");
      const env = {
        FERROHSM: CLI,
        FERROHSM_ADDR: server.url,
        FERROHSM_CA: pki.ca,
        FERROHSM_CLIENT_CERT: pki.client1.cert,
        FERROHSM_CLIENT_KEY: pki.client1.key,
        FERROHSM_CI_KEYSET: inst.keysetFile,
        FERROHSM_CI_KID: "es",
        FERROHSM_CI_SUBJECT: "ci:pipeline-42",
        FERROHSM_SIGNING_KEY: key.body.id,
        FERROHSM_TOKEN_TTL: "60",
      };
      const signed = await bash([SIGN, artefact, out], env);
      assert.equal(signed.code, 0, signed.stderr);
      assert.match(
        signed.stderr,
        /Service token for ci:pipeline-42 valid 60s, bound to certificate /,
      );
      const sig = join(out, "app-1.0.tar.gz.sig");
      const pem = join(out, "public.pem");
      assert.match(await Deno.readTextFile(pem), /^-----BEGIN PUBLIC KEY-----/);
      assert.match(
        await Deno.readTextFile(join(out, "app-1.0.tar.gz.sha256")),
        /app-1\.0\.tar\.gz/,
      );

      const verified = await bash([VERIFY, artefact, sig, pem]);
      assert.equal(verified.code, 0, verified.stderr);
      assert.match(verified.stdout, /Verified OK/);
      const bytes = await Deno.readFile(artefact);
      bytes[500] = (bytes[500] as number) ^ 1;
      await Deno.writeFile(artefact, bytes);
      assert.notEqual((await bash([VERIFY, artefact, sig, pem])).code, 0);

      // A lifetime over 5 minutes is refused before anything is minted.
      const long = await bash([SIGN, artefact, out], { ...env, FERROHSM_TOKEN_TTL: "301" });
      assert.equal(long.code, 2);

      const audit = await call("GET", "/api/v1/audit?limit=1000", admin);
      const sign = (audit.body.items as { actor: string; action: string; key_id: string }[])
        .filter((e) => e.actor === "ci:pipeline-42");
      assert.deepEqual(sign.map((e) => e.action), ["key.sign", "key.public"]);
      assert.ok(sign.every((e) => e.key_id === key.body.id));
    } finally {
      http.close();
      await server.stop();
      await inst.cleanup();
    }
  },
});
