import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../../src/cli/errors.ts";
import { defaultBindings, findCollision, isKeySpec } from "../../src/tui/key_bindings.ts";
import { defaultConfigPath, loadTuiConfig, parseTuiConfig } from "../../src/tui/tui_config.ts";

Deno.test("the default bindings give no key two meanings on one screen", () => {
  assert.equal(findCollision(defaultBindings()), undefined);
  assert.ok(isKeySpec("ctrl+r") && isKeySpec("shift+tab") && isKeySpec("D") && isKeySpec("?"));
  assert.ok(!isKeySpec("hyper+x") && !isKeySpec("ab") && !isKeySpec(""));
});

Deno.test("a config file sets the theme and rebinds actions", () => {
  const c = parseTuiConfig(
    '{"theme":"light","keys":{"rotate":["ctrl+o"]},"refresh_seconds":5}',
    "f",
  );
  assert.equal(c.theme, "light");
  assert.deepEqual(c.bindings.rotate, ["ctrl+o"]);
  assert.deepEqual(c.bindings.quit, ["q", "ctrl+c"]);
  assert.equal(c.refreshSeconds, 5);
});

Deno.test("bad config files are usage errors naming the problem", () => {
  const bad = (text: string, message: RegExp) =>
    assert.throws(
      () => parseTuiConfig(text, "tui.json"),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
    );
  bad("{", /invalid JSON/);
  bad('{"theme":"neon"}', /theme/);
  bad('{"keys":{"launch":["x"]}}', /keys/);
  bad('{"keys":{"rotate":["hyper+x"]}}', /not a key name/);
  bad('{"keys":{"create":["q"]}}', /Cannot bind q to both/);
  bad('{"colour":"red"}', /Unrecognized key/i);
});

Deno.test("the default file is optional, an explicit one is not", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const env = (n: string) => (n === "XDG_CONFIG_HOME" ? dir : undefined);
    assert.equal(defaultConfigPath(env), join(dir, "ferrohsm", "tui.json"));
    assert.equal(
      defaultConfigPath((n) => (n === "HOME" ? "/home/u" : undefined)),
      "/home/u/.config/ferrohsm/tui.json",
    );
    assert.equal((await loadTuiConfig(undefined, env)).source, undefined);
    await assert.rejects(loadTuiConfig(join(dir, "missing.json"), env), UsageError);
    await Deno.mkdir(join(dir, "ferrohsm"));
    await Deno.writeTextFile(join(dir, "ferrohsm", "tui.json"), '{"theme":"high-contrast"}');
    assert.equal((await loadTuiConfig(undefined, env)).theme, "high-contrast");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
