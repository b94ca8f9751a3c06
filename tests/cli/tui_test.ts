/**
 * `ferrohsm tui` from the outside: it needs a terminal, refuses a bad config file with a
 * usage error, and the CLI's `run` writes its failures to the context's error output
 * (which is how the TUI's palette captures them).
 */

import assert from "node:assert/strict";
import { run } from "../../src/cli/commands.ts";
import { CliContext } from "../../src/cli/context.ts";
import type { Output } from "../../src/cli/output.ts";
import { runCli } from "../../testing/server_process.ts";

function capture(): Output & { text(): string } {
  let all = "";
  return {
    isTerminal: false,
    color: false,
    write: (d) => void (all += new TextDecoder().decode(d)),
    line: (t) => void (all += `${t}\n`),
    text: (t?: string) => {
      if (t !== undefined) all += t;
      return all;
    },
  } as Output & { text(): string };
}

Deno.test("ferrohsm tui needs a terminal and a valid config file", async () => {
  const noTty = await runCli(["tui", "--addr", "http://127.0.0.1:9"]);
  assert.equal(noTty.code, 2, noTty.stderr);
  assert.match(noTty.stderr, /Cannot start the TUI: stdin and stdout must be a terminal/);
  const badConfig = await runCli(["tui", "--tui-config", "/nonexistent/tui.json"]);
  assert.equal(badConfig.code, 2);
  assert.match(badConfig.stderr, /Cannot read TUI config \/nonexistent\/tui\.json: NotFound/);
  const help = await runCli(["--help"]);
  assert.match(help.stdout, /tui \[options\]\s+Interactive terminal UI/);
});

Deno.test("run reports failures on the context's error output, not the process's", async () => {
  const out = capture();
  const err = capture();
  const code = await run(
    ["--addr", "http://127.0.0.1:9", "--token", "t", "key", "list"],
    new CliContext(out, err),
  );
  assert.equal(code, 1);
  assert.match(err.text(), /^ferrohsm: unreachable: Cannot reach http:\/\/127\.0\.0\.1:9/);
  assert.equal(out.text(), "");
});
