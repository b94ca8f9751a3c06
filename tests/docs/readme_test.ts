/**
 * The README's quick tour: it shows every lifecycle step it names (create, sign, verify,
 * public key, encrypt, decrypt, rotate, versions, rollback, revoke, destroy with a second
 * administrator's token, audit), every URL with a `?` is quoted, every request is an
 * operation of the API contract, and the tour runs as written against a real server.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { OPERATIONS } from "../../src/contract/operations.ts";
import { makeInstallation } from "../../testing/installation.ts";
import { ROOT, startServerProcess } from "../../testing/server_process.ts";

const README = await Deno.readTextFile(join(ROOT, "README.md"));

function quickTour(): string {
  const section = /## Quick tour\n([\s\S]*?)\n## /.exec(README)?.[1] ?? "";
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, "the quick tour has a sh code block");
  return block;
}

/** The curl commands of the tour, continuation lines joined. */
function curlCommands(tour: string): string[] {
  return tour.replace(/\\\n\s*/g, " ").split("\n").filter((l) => /\bcurl\s/.test(l));
}

Deno.test("the quick tour shows every lifecycle step it names", () => {
  const tour = quickTour();
  for (
    const step of [
      /\/api\/v1\/keys"/,
      /\/sign"/,
      /\/verify"/,
      /\/public"/,
      /\/encrypt"/,
      /\/decrypt"/,
      /-X POST "[^"]*\/rotate"/,
      /\/versions"/,
      /\/rollback"/,
      /-X POST "[^"]*\/revoke"/,
      /-X DELETE "[^"]*\/keys\/\$\w+"/,
      /token mint [^\n]*--roles Administrator/,
      /\/approvals\/\$\w+\/approve"/,
      /\/audit\?limit=\d+"/,
      /\/audit\/verify"/,
    ]
  ) {
    assert.match(tour, step);
  }
  // The decrypt after revoke is shown, not just described.
  assert.match(tour, /\/revoke"\n[^\n]*\/decrypt"/);
});

Deno.test("every URL of the tour is quoted, so a ? never reaches the shell unquoted", () => {
  for (const command of curlCommands(quickTour())) {
    const unquoted = command.replace(/"[^"]*"|'[^']*'/g, "");
    assert.doesNotMatch(unquoted, /\?/, command);
    assert.doesNotMatch(unquoted, /https?:\/\/|\$FERROHSM/, `unquoted URL: ${command}`);
  }
});

Deno.test("every request of the tour is an operation of the API contract", () => {
  const known = new Set(
    Object.values(OPERATIONS).map((op) => `${op.method.toUpperCase()} ${op.path}`),
  );
  const commands = curlCommands(quickTour());
  assert.ok(commands.length >= 15);
  for (const command of commands) {
    const url = /"\$FERROHSM(\/[^"?]*)/.exec(command)?.[1];
    assert.ok(url, command);
    const path = url.replace(/\$\w+/g, ":id");
    const method = /-X (\w+)/.exec(command)?.[1] ?? (/\s-d\s/.test(command) ? "POST" : "GET");
    assert.ok(known.has(`${method} ${path}`), `${method} ${path} is not in the contract`);
  }
});

const haveTools = await Promise.all(
  ["bash", "curl", "sed", "base64"].map((tool) =>
    new Deno.Command("sh", { args: ["-c", `command -v ${tool}`], stdout: "null" }).output()
      .then((o) => o.success, () => false)
  ),
).then((all) => all.every(Boolean));

Deno.test({
  name: "the quick tour runs as written against a server",
  ignore: !haveTools,
  async fn() {
    const inst = await makeInstallation();
    const server = await startServerProcess(inst.flags(["--listen", "127.0.0.1:0"]));
    const cwd = await Deno.makeTempDir({ prefix: "ferrohsm-tour-" });
    try {
      // The tour mints the second administrator's token from the dev keyset.
      await Deno.mkdir(join(cwd, "data", "dev"), { recursive: true });
      await Deno.copyFile(inst.keysetFile, join(cwd, "data", "dev", "jwks.json"));
      const script = quickTour().split("\n")
        .filter((l) => !/^(npx -y deno@\S+ task dev|export FERROHSM=|TOKEN=|CLI=)/.test(l))
        .join("\n");
      const out = await new Deno.Command("bash", {
        args: ["-c", `set -euo pipefail\ncurl() { command curl -f "$@"; }\n${script}`],
        cwd,
        env: {
          FERROHSM: server.url,
          TOKEN: await inst.token("dev-admin", ["Administrator"]),
          CLI: `${Deno.execPath()} run -A ${join(ROOT, "main.ts")}`,
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, `${stdout}\n${new TextDecoder().decode(out.stderr)}`);
      assert.match(stdout, /\{"valid":true,"version":1\}/);
      assert.match(stdout, /"plaintext":"c2VjcmV0"/);
      assert.match(stdout, /"current_version":3/);
      assert.match(stdout, /"state":"executed"/);
      assert.match(stdout, /"state":"destroyed"/);
      assert.match(stdout, /"valid":true,"entries":\d+/);
    } finally {
      await server.stop();
      await inst.cleanup();
      await Deno.remove(cwd, { recursive: true });
    }
  },
});
