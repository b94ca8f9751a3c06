/**
 * The SDK examples against a live server over mutual TLS: `examples/python` (Debian's
 * Python, standard library) and `examples/go` (Debian's golang-go, standard library)
 * create keys, encrypt/decrypt, sign/verify and handle a `not_found`, under a rate limit
 * low enough that they meet 429s and retry after `Retry-After`; every request id they
 * printed appears in the audit log under their token's subject.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type Installation, makeInstallation } from "../../testing/installation.ts";
import { hasOpenssl, makePki, type TestPki, tlsClient } from "../../testing/pki.ts";
import {
  jsonRequest,
  readResponse,
  ROOT,
  type ServerProcess,
  startServerProcess,
} from "../../testing/server_process.ts";
import { DEBIAN_PYTHON } from "../interop/_debian_python.ts";

const HAS_GO = await new Deno.Command("go", { args: ["version"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);
const HAS_PYTHON = await Deno.stat(DEBIAN_PYTHON).then(() => true, () => false);

interface Summary {
  aes_key: string;
  ec_key: string;
  handled_error: string;
  retries: number;
  request_ids: string[];
}

/** Runs one example with the token in FERROHSM_TOKEN; returns its JSON summary line. */
async function runExample(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<Summary> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const stdout = dec.decode(out.stdout);
  const stderr = dec.decode(out.stderr);
  assert.equal(out.code, 0, `${cmd} failed:\n${stdout}\n${stderr}`);
  const summary = JSON.parse(stdout.trim().split("\n").at(-1) as string) as Summary;
  if (summary.retries > 0) assert.match(stderr, /rate_limited: retrying/);
  return summary;
}

async function auditedIds(server: ServerProcess, pki: TestPki, inst: Installation) {
  const http = await tlsClient(pki, pki.client2);
  try {
    const token = await inst.token("auditor", ["Auditor"]);
    const res = await readResponse(
      await fetch(`${server.url}/api/v1/audit?limit=1000`, {
        ...jsonRequest("GET", token),
        client: http,
      }),
    );
    assert.equal(res.status, 200);
    return res.body.items as { actor: string; request_id?: string; result: string }[];
  } finally {
    http.close();
  }
}

Deno.test({
  name: `the Go and Python examples work over mutual TLS, retry 429s and are found in the audit${
    HAS_GO && HAS_PYTHON && hasOpenssl
      ? ""
      : " (skipped: install Debian golang-go, python3, openssl)"
  }`,
  ignore: !(HAS_GO && HAS_PYTHON && hasOpenssl),
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
      "--rate-limit",
      "1",
    ]));
    try {
      const tls = ["--ca", pki.ca, "--cert", pki.client1.cert, "--key", pki.client1.key];
      const python = await runExample(
        DEBIAN_PYTHON,
        ["demo.py", "--url", server.url, ...tls, "--name", "py"],
        join(ROOT, "examples/python"),
        { FERROHSM_TOKEN: await inst.token("python-app", ["Operator"]) },
      );
      const gocache = join(inst.dir, "go");
      const go = await runExample(
        "go",
        ["run", ".", "-url", server.url, ...tls.map((a) => a.replace(/^--/, "-")), "-name", "go"],
        join(ROOT, "examples/go"),
        {
          FERROHSM_TOKEN: await inst.token("go-app", ["Operator"]),
          GOCACHE: join(gocache, "cache"),
          GOPATH: join(gocache, "path"),
          GOFLAGS: "-mod=mod",
          GOTOOLCHAIN: "local",
        },
      );
      for (const summary of [python, go]) {
        assert.equal(summary.handled_error, "not_found");
        assert.ok(summary.retries > 0, "the rate limit made the example retry");
        assert.ok(summary.request_ids.length >= 7);
      }
      const entries = await auditedIds(server, pki, inst);
      for (const [actor, summary] of [["python-app", python], ["go-app", go]] as const) {
        const seen = new Set(
          entries.filter((e) => e.actor === actor).map((e) => e.request_id),
        );
        for (const id of summary.request_ids) assert.ok(seen.has(id), `${actor} ${id}`);
      }
    } finally {
      await server.stop();
      await inst.cleanup();
    }
  },
});
