import assert from "node:assert/strict";
import { commandWords, paletteRefusal, splitCommandLine } from "../../src/tui/command_line.ts";

Deno.test("command lines split like a shell, without expansion", () => {
  assert.deepEqual(
    splitCommandLine(`ferrohsm key create --name 'my key' --tag "a=\\"b\\"" x\\ y`),
    [
      "key",
      "create",
      "--name",
      "my key",
      "--tag",
      'a="b"',
      "x y",
    ],
  );
  assert.deepEqual(splitCommandLine("echo $HOME *"), ["echo", "$HOME", "*"]);
  assert.deepEqual(splitCommandLine(`a ''`), ["a", ""]);
  assert.ok("error" in (splitCommandLine("a 'b") as object));
});

Deno.test("the palette refuses what would take over the terminal", () => {
  assert.deepEqual(commandWords(["--addr", "http://x", "--json", "key", "list"]), ["key", "list"]);
  assert.match(paletteRefusal(["serve", "--dev"]) ?? "", /Cannot run serve/);
  assert.match(paletteRefusal(["tui"]) ?? "", /Cannot run tui/);
  assert.match(paletteRefusal(["encrypt", "ID"]) ?? "", /Cannot read stdin/);
  assert.match(paletteRefusal(["sign", "ID", "--in", "-"]) ?? "", /Cannot read stdin/);
  assert.match(paletteRefusal(["audit", "tail", "--follow"]) ?? "", /--follow-timeout/);
  assert.equal(paletteRefusal(["encrypt", "ID", "--in", "f.bin"]), undefined);
  assert.equal(paletteRefusal(["encrypt", "ID", "--in=f.bin"]), undefined);
  assert.equal(paletteRefusal(["audit", "tail", "--follow", "--follow-timeout", "3"]), undefined);
  assert.equal(paletteRefusal(["serve", "--help"]), undefined);
  assert.equal(paletteRefusal(["key", "list"]), undefined);
});
