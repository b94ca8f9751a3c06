/**
 * The commands FerroHSM prints match the way it was started: `deno task` from a
 * checkout, the release folder's `ferrohsm` script from a release, the binary itself when
 * compiled; paths are quoted for the shell.
 */

import assert from "node:assert/strict";
import { commandLine, detectInvocation, type InvocationFacts } from "../../src/cli/invocation.ts";

function facts(overrides: Partial<InvocationFacts>): InvocationFacts {
  return {
    mainModule: "file:///home/dev/ferrohsm/main.ts",
    standalone: false,
    execPath: () => "/usr/local/bin/deno",
    exists: () => false,
    ...overrides,
  };
}

Deno.test("from a checkout the commands are deno tasks", () => {
  assert.deepEqual(detectInvocation(facts({})), {
    serve: ["deno", "task", "serve"],
    cli: ["deno", "task", "cli"],
  });
});

Deno.test("from a release folder the commands run its ferrohsm script", () => {
  const inv = detectInvocation(facts({
    mainModule: "file:///opt/ferrohsm-1.0.0-linux-x86_64/ferrohsm.js",
    exists: (path) => path === "/opt/ferrohsm-1.0.0-linux-x86_64/ferrohsm",
  }));
  assert.deepEqual(inv.serve, ["/opt/ferrohsm-1.0.0-linux-x86_64/ferrohsm", "serve"]);
  assert.deepEqual(inv.cli, ["/opt/ferrohsm-1.0.0-linux-x86_64/ferrohsm"]);
  const missing = detectInvocation(facts({ mainModule: "file:///tmp/x/ferrohsm.js" }));
  assert.deepEqual(missing.serve, ["ferrohsm", "serve"]);
});

Deno.test("a compiled binary prints its own path", () => {
  const inv = detectInvocation(facts({ standalone: true, execPath: () => "/usr/bin/ferrohsm" }));
  assert.deepEqual(inv, { serve: ["/usr/bin/ferrohsm", "serve"], cli: ["/usr/bin/ferrohsm"] });
});

Deno.test("command lines quote what the shell would split", () => {
  assert.equal(
    commandLine(["/opt/my hsm/ferrohsm", "serve"], ["--data-dir", "/srv/it's"]),
    `'/opt/my hsm/ferrohsm' serve --data-dir '/srv/it'\\''s'`,
  );
});
