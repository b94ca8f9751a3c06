/**
 * The CLI against a hostile server: names, tags, actors, states, error messages and
 * health fields full of terminal escapes and bidi overrides never reach the terminal
 * raw in human output, while `--json` prints the server's JSON exactly.
 */

import assert from "node:assert/strict";
import { runCli } from "../../testing/server_process.ts";

const EVIL = "evil\x1b]0;pwned\x07\x1b[2J\r\x9b31m\u202eexe.txt\u2066x\u2069";

/** Control characters that must never appear raw in human output (newline excepted). */
// deno-lint-ignore no-control-regex -- the point of the test
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/u;

const key = {
  id: `id-${EVIL}`,
  name: EVIL,
  algorithm: "AES-256-GCM",
  usage: ["encrypt"],
  tags: { [`k${EVIL}`]: EVIL },
  state: EVIL,
  current_version: 1,
  dual_control: false,
  created_at: EVIL,
  updated_at: EVIL,
};

const approval = {
  id: "a1",
  action: EVIL,
  key_id: EVIL,
  requested_by: EVIL,
  approvals: [{ actor: EVIL, at: EVIL }],
  quorum: 1,
  state: EVIL,
  created_at: EVIL,
  expires_at: EVIL,
};

const ANSWERS: Record<string, [number, unknown]> = {
  "/api/v1/keys": [200, { items: [key], page: 1, per_page: 20, total: 1 }],
  "/api/v1/keys/k1": [200, key],
  "/api/v1/approvals": [200, { items: [approval] }],
  "/api/v1/audit": [200, {
    items: [{
      seq: 1,
      ts: EVIL,
      actor: EVIL,
      action: EVIL,
      key_id: EVIL,
      result: EVIL,
      payload_hash: "x",
      prev_hash: "x",
      hash: "x",
      mac: "x",
    }],
  }],
  "/healthz": [200, { status: "ok", uptime_s: 1, note: EVIL, [EVIL]: { deep: EVIL } }],
  "/api/v1/keys/k2": [403, { error: { code: `forbidden${EVIL}`, message: EVIL } }],
};

async function withHostileServer(fn: (url: string) => Promise<void>): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const answer = ANSWERS[new URL(req.url).pathname];
    if (answer === undefined) {
      return Response.json({ error: { code: "x", message: "x" } }, { status: 404 });
    }
    return Response.json(answer[1], { status: answer[0] });
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

const COMMANDS = [
  ["key", "list"],
  ["key", "show", "k1"],
  ["approval", "list"],
  ["audit", "tail", "--after-seq", "0"],
  ["health"],
  ["key", "show", "k2"],
];

Deno.test("server strings are escaped in human output, on stdout and stderr", async () => {
  await withHostileServer(async (url) => {
    for (const args of COMMANDS) {
      const r = await runCli(["--addr", url, "--token", "t", ...args]);
      assert.doesNotMatch(
        r.stdout,
        RAW_CONTROL,
        `${args.join(" ")} stdout: ${JSON.stringify(r.stdout)}`,
      );
      assert.doesNotMatch(
        r.stderr,
        RAW_CONTROL,
        `${args.join(" ")} stderr: ${JSON.stringify(r.stderr)}`,
      );
      assert.match(r.stdout + r.stderr, /\\x1b/, args.join(" "));
      assert.match(r.stdout + r.stderr, /\\u202e/, args.join(" "));
    }
  });
});

Deno.test("--json prints the server's JSON exactly, control characters included", async () => {
  await withHostileServer(async (url) => {
    const list = await runCli(["--addr", url, "--token", "t", "--json", "key", "list"]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), ANSWERS["/api/v1/keys"]?.[1]);
    assert.equal(list.stdout, `${JSON.stringify(ANSWERS["/api/v1/keys"]?.[1])}\n`);
  });
});
